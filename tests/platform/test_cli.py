"""The `autoproces` command line: each command works, and fails clearly on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from helpers import app_env, bearer

from autoproces.platform.cli import main


@pytest.fixture
def cli(database):
    env = app_env(database)

    def run(*args: str, extra_env: dict[str, str] | None = None):
        full = {**env, **(extra_env or {})}
        # CliRunner patches os.environ for the call; unset what the test removes.
        result = CliRunner().invoke(main, list(args), env=full, catch_exceptions=False)
        return result

    return run


def test_tenant_user_token_lifecycle(cli, client):
    r = cli(
        "tenants",
        "create",
        "syddjurs",
        "--name",
        "Syddjurs Kommune",
        "--code",
        "706",
        "--cvr",
        "29189978",
    )
    assert r.exit_code == 0, r.output
    r = cli(
        "users",
        "create",
        "syddjurs",
        "Ada@Syddjurs.dk",
        "--name",
        "Ada Lovelace",
        "--role",
        "automation",
        "--role",
        "manager",
    )
    assert r.exit_code == 0, r.output
    assert "automation, manager" in r.output
    r = cli("tokens", "create", "syddjurs", "ada@syddjurs.dk")
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me["email"] == "ada@syddjurs.dk" and me["roles"] == ["automation", "manager"]
    assert me["tenant"]["slug"] == "syddjurs"
    r = cli("tenants", "list")
    assert "syddjurs\tactive\t706\tSyddjurs Kommune" in r.output

    assert cli("tenants", "suspend", "syddjurs").exit_code == 0
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 403
    assert client.get("/syddjurs/processer").status_code == 403
    assert cli("tenants", "activate", "syddjurs").exit_code == 0
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tenants", "create", "Bad Slug!", "--name", "X"), "slug"),
        (("tenants", "create", "api", "--name", "X"), "reserved"),
        (("tenants", "create", "ok", "--name", "X", "--code", "7060"), "three digits"),
        (("tenants", "create", "ok", "--name", "X", "--cvr", "12345678"), "modulus-11"),
        (("tenants", "create", "ok", "--name", " "), "name"),
        (("tenants", "create", "ok"), "--name"),
        (("tenants", "suspend", "nobody"), "no tenant"),
        (("users", "create", "nobody", "a@b.dk", "--name", "A"), "No tenant"),
        (("users", "create", "alpha", "not-an-email", "--name", "A"), "email"),
        (("users", "create", "alpha", "a@b.dk", "--name", "A", "--role", "king"), "king"),
        (("tokens", "create", "alpha", "nobody@alpha.dk"), "No user"),
        (("tokens", "create", "nobody", "x@alpha.dk"), "No tenant"),
        (("frobnicate",), "No such command"),
    ],
)
def test_bad_arguments_fail_with_a_message_and_nonzero_exit(cli, make, args, message):
    make.tenant("alpha")
    r = cli(*args)
    assert r.exit_code != 0
    assert message.lower() in r.output.lower()
    assert "Traceback" not in r.output


def test_duplicate_tenant_and_user_are_refused(cli):
    assert cli("tenants", "create", "alpha", "--name", "Alfa").exit_code == 0
    r = cli("tenants", "create", "alpha", "--name", "Alfa")
    assert r.exit_code == 1 and "exists already" in r.output
    assert cli("users", "create", "alpha", "a@alpha.dk", "--name", "A").exit_code == 0
    r = cli("users", "create", "alpha", "A@alpha.dk", "--name", "B")
    assert r.exit_code == 1 and "allerede" in r.output


def test_missing_configuration_is_a_one_line_message(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "AUTOPROCES_DEMO")
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "autoproces"), "tenants", "list"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "SECRET_KEY" in lines[0] and "DATABASE_URL" in lines[0]


def test_serve_refuses_without_secret_key(cli, database):
    r = cli("serve", extra_env={"SECRET_KEY": ""})
    assert r.exit_code != 0 and "SECRET_KEY" in r.output


def test_serve_refuses_a_role_that_can_bypass_rls(cli, database):
    # The owner (here a superuser) must never serve requests.
    r = cli("serve", extra_env={"DATABASE_URL": database.owner_url})
    assert r.exit_code != 0 and "Refusing to serve" in r.output


def test_serve_refuses_several_workers_that_would_count_rate_limits_apart(cli):
    r = cli("serve", "--workers", "2", extra_env={"RATELIMIT_STORAGE_URI": ""})
    assert r.exit_code != 0
    assert "RATELIMIT_STORAGE_URI" in r.output and "--workers 1" in r.output


def test_db_upgrade_as_the_readme_shows_it_needs_only_the_owner_url(database, tmp_path):
    env = {"PATH": os.environ["PATH"], "MIGRATION_DATABASE_URL": database.owner_url}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "autoproces"), "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Database at revision head" in result.stdout


def test_db_upgrade_needs_the_owner_url(cli):
    r = cli("db", "upgrade", extra_env={"MIGRATION_DATABASE_URL": ""})
    assert r.exit_code != 0 and "MIGRATION_DATABASE_URL" in r.output
    r = cli("db", "upgrade")
    assert r.exit_code == 0 and "head" in r.output  # already at head: a no-op


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_runs_gunicorn_on_the_configured_database(database, tmp_path):
    import time
    import urllib.request

    port = _free_port()
    env = {**os.environ, **app_env(database)}
    env.pop("AUTOPROCES_DEMO", None)
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "autoproces"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert r.headers["Server"].startswith("gunicorn")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_tenant_commands_are_written_to_the_operator_audit_log(cli, su_engine):
    from sqlalchemy import text

    cli("tenants", "create", "alpha", "--name", "Alfa")
    cli("tenants", "suspend", "alpha")
    cli("tenants", "activate", "alpha")
    cli(
        "tenants",
        "set-oidc",
        "alpha",
        "--issuer",
        "https://idp.example",
        "--client-id",
        "c",
        "--client-secret",
        "hemmelig",
    )
    with su_engine.connect() as conn:
        rows = conn.execute(
            text(
                "select operator_email, action, subject_tenant_slug, details"
                " from operator_audit order by id"
            )
        ).all()
    assert [r.action for r in rows] == [
        "tenant.create",
        "tenant.suspend",
        "tenant.activate",
        "tenant.idp",
    ]
    assert all(
        r.operator_email.startswith("cli") and r.subject_tenant_slug == "alpha" for r in rows
    )
    assert "hemmelig" not in str([r.details for r in rows])


def test_the_cli_finds_the_demos_embedded_database_or_says_how(tmp_path, monkeypatch):
    """An unconfigured shell: with no demo database yet, the message says what to do; with
    one (made by `make demo`), the command uses it and says so."""
    from autoproces.platform import cli as cli_module

    env = {"AUTOPROCES_INSTANCE_PATH": str(tmp_path / "instance")}
    r = CliRunner().invoke(main, ["tenants", "list"], env=env)
    assert r.exit_code != 0
    assert "AUTOPROCES_DEMO=1" in r.output and "make demo" in r.output
    (tmp_path / "instance" / "postgres").mkdir(parents=True)
    (tmp_path / "instance" / "postgres" / "PG_VERSION").write_text("18\n")
    seen = {}

    def fake_create_app(environment=None, **kw):
        seen.update(environment or {})
        if environment and environment.get("AUTOPROCES_DEMO") == "1":
            raise SystemExit(0)  # far enough: the demo database was chosen
        from autoproces.platform.config import ConfigError

        raise ConfigError("Autoproces cannot start: set SECRET_KEY and DATABASE_URL.")

    monkeypatch.setattr("autoproces.platform.app.create_app", fake_create_app)
    r = CliRunner().invoke(main, ["tenants", "list"], env=env)
    assert seen.get("AUTOPROCES_DEMO") == "1", r.output
    assert "using the demo's embedded database" in r.output
    # `serve` never falls back to the demo.
    assert cli_module._demo_database({"DATABASE_URL": "postgresql://x"}) is None


def test_a_second_demo_on_a_busy_port_says_so_before_anything_else():
    import socket

    from autoproces.platform.demo import _refuse_busy_port

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(click.ClickException, match=f"Port {port} on 127.0.0.1 is in use"):
            _refuse_busy_port("127.0.0.1", port)
    _refuse_busy_port("127.0.0.1", port)  # free again: no complaint


def test_a_busy_port_stops_the_demo_before_it_prints_login_addresses(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "autoproces.platform.cli", "demo", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "AUTOPROCES_INSTANCE_PATH": str(tmp_path / "instance")},
        )
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is in use" in result.stderr
    assert "/login" not in result.stdout + result.stderr
    assert not (tmp_path / "instance" / "postgres").exists()  # nothing was started


def test_users_and_tokens_lists_and_revoke(cli, client):
    assert cli("tenants", "create", "alpha", "--name", "Alfa Kommune").exit_code == 0
    assert (
        cli(
            "users", "create", "alpha", "ada@alpha.dk", "--name", "Ada", "--role", "automation"
        ).exit_code
        == 0
    )
    r = cli("users", "list", "alpha")
    assert r.exit_code == 0 and "ada@alpha.dk\tactive\tperson\tautomation\t-\tAda" in r.output
    r = cli("tokens", "create", "alpha", "ada@alpha.dk", "--name", "ESDH")
    secret = r.output.strip().splitlines()[-1]
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    r = cli("tokens", "list", "alpha")
    assert r.exit_code == 0
    [line] = r.stdout.strip().splitlines()  # warnings go to stderr
    token_id, prefix, status, owner, creator, used, name = line.split("\t")
    assert (prefix, status, owner, creator, name) == (
        secret[:10] + "…",
        "active",
        "ada@alpha.dk",
        "cli",
        "ESDH",
    )
    assert used != "-"  # it was just used
    # By prefix (as the list shows it), or by id.
    r = cli("tokens", "revoke", "alpha", prefix)
    assert r.exit_code == 0 and "is revoked" in r.output
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert "\trevoked\t" in cli("tokens", "list", "alpha").output
    r = cli("tokens", "revoke", "alpha", "ap_nothing")
    assert r.exit_code != 0 and "No token ap_nothing in alpha" in r.output
    assert cli("users", "list", "nowhere").exit_code != 0
    r = cli("users", "deactivate", "alpha", "ada@alpha.dk")
    assert r.exit_code == 0 and "deactivated" in cli("users", "list", "alpha").output
    assert cli("users", "set-roles", "alpha", "nobody@alpha.dk", "--role", "manager").exit_code != 0


def test_suspending_on_the_command_line_keeps_the_reason_in_both_logs(cli, su_engine):
    from sqlalchemy import text

    assert cli("tenants", "create", "alpha", "--name", "Alfa Kommune").exit_code == 0
    r = cli("tenants", "suspend", "alpha", "--reason", "Aftalen  er opsagt.")
    assert r.exit_code == 0, r.output
    with su_engine.connect() as conn:
        platform_log = conn.scalar(
            text("select details from operator_audit where action = 'tenant.suspend'")
        )
        own_log = conn.execute(text("select actor_name, details from tenant_audit")).one()
    expected = {"status": {"from": "active", "to": "suspended"}, "note": "Aftalen er opsagt."}
    assert platform_log == expected and own_log.details == expected
    assert own_log.actor_name.startswith("cli")
