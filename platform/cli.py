"""The `autoproces` command line."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask

from .config import ConfigError, Settings


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _demo_database(env: Mapping[str, str]) -> Path | None:
    """The demo's embedded database folder, when nothing else is configured and the demo has
    made one (`make demo`)."""
    if env.get("DATABASE_URL") or env.get("SECRET_KEY"):
        return None
    pgdata = Path(env.get("AUTOPROCES_INSTANCE_PATH", "instance")).resolve() / "postgres"
    return pgdata if (pgdata / "PG_VERSION").exists() else None


def _build_app(env: dict[str, str] | None = None, demo_fallback: bool = False) -> Flask:
    """The app for a command. With `demo_fallback` (management commands), an unconfigured
    shell next to the demo's embedded database uses that database, and says so."""
    from .app import create_app

    try:
        return create_app(env)
    except ConfigError as e:
        source = os.environ if env is None else env
        pgdata = _demo_database(source) if demo_fallback else None
        if pgdata is None:
            hint = ""
            if demo_fallback and not source.get("DATABASE_URL"):
                hint = " The demo's embedded database is made by `make demo`; run that first."
            _fail(str(e) + hint)
        click.echo(
            f"No DATABASE_URL set: using the demo's embedded database in {pgdata}.", err=True
        )
        return create_app({**source, "AUTOPROCES_DEMO": "1"})


@contextmanager
def _app_context(env: dict[str, str] | None = None) -> Iterator[Flask]:
    """Run a command in one transaction: committed if it finishes, rolled back if not."""
    from .db import db
    from .errors import DomainError

    app = _build_app(env, demo_fallback=True)
    with app.app_context():
        try:
            yield app
            db.session.commit()
        except DomainError as e:
            db.session.rollback()
            details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in e.errors.items())
            _fail(f"{e.message} {details}".strip())


def _audit(action: str, tenant: Any, **details: Any) -> None:
    """Tenant changes made on a shell are operator actions too: into the audit log."""
    from .operator.cli import _cli_actor
    from .operator.services import audit

    audit(None, action, tenant, email=_cli_actor(), details=details)


def _with_tenant(slug: str) -> Any:
    from .tenancy import activate_tenant, tenant_by_slug

    tenant = tenant_by_slug(slug)
    if tenant is None:
        _fail(f"No tenant called '{slug}' (see `autoproces tenants list`).")
    activate_tenant(tenant)
    return tenant


@click.group(help="Autoproces: automation of municipal work processes.")
def main() -> None:
    pass


@main.group(help="The database.")
def db() -> None:
    pass


@db.command("upgrade", help="Migrate the database to the newest schema (as the owner role).")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    from .migrate import upgrade

    # Only the owner's URL: no SECRET_KEY, DATABASE_URL or base URL needed to migrate.
    try:
        settings = Settings.from_env()
    except ConfigError as e:
        _fail(str(e))
    url = settings.migration_database_url
    if url is None and settings.demo and settings.database_url is None:
        from .embedded import ensure_embedded

        url = ensure_embedded(settings.instance_path, settings.app_role).owner_url
    if url is None:
        _fail("Set MIGRATION_DATABASE_URL (the owner role's URL) to run migrations.")
    upgrade(url, settings.app_role, revision)
    click.echo(f"Database at revision {revision}.")


@main.group(help="Municipalities on the platform.")
def tenants() -> None:
    pass


@tenants.command(
    "create",
    help="Create a tenant, e.g. `tenants create syddjurs --name 'Syddjurs Kommune' --code 706`.",
)
@click.argument("slug")
@click.option("--name", required=True, help="The municipality's name.")
@click.option("--code", default=None, help="Kommunekode, three digits.")
@click.option("--cvr", default=None, help="CVR number, eight digits.")
def tenants_create(slug: str, name: str, code: str | None, cvr: str | None) -> None:
    from .tenancy import create_tenant

    with _app_context():
        tenant = create_tenant(slug, name, code, cvr)
        _audit("tenant.create", tenant, name=tenant.name, municipality_code=code, cvr=cvr)
        click.echo(f"Created tenant {tenant.slug} ({tenant.name}).")


@tenants.command("list", help="List tenants with their status.")
def tenants_list() -> None:
    from sqlalchemy import select

    from .db import db as database
    from .tenancy import Tenant

    with _app_context():
        for t in database.session.scalars(select(Tenant).order_by(Tenant.slug)):
            click.echo(f"{t.slug}\t{t.status}\t{t.municipality_code or '-'}\t{t.name}")


def _status_command(name: str, status: str, help_text: str) -> Callable[..., None]:
    @tenants.command(name, help=help_text)
    @click.argument("slug")
    @click.option("--reason", default="", help="Why (kept in the audit logs).")
    def command(slug: str, reason: str) -> None:
        from . import audit
        from .operator.cli import _cli_actor
        from .operator.services import (
            TENANT_ACTIVATE,
            TENANT_SUSPEND,
            audit_for_tenant,
            refuse_activation_if_deletion_planned,
        )
        from .tenancy import TenantStatus, set_tenant_status

        with _app_context():
            tenant = _with_tenant(slug)
            if status == "active":
                refuse_activation_if_deletion_planned(tenant)  # as the console
            before = tenant.status
            tenant = set_tenant_status(slug, TenantStatus(status))
            details: dict[str, Any] = {"status": {"from": before, "to": tenant.status}}
            if reason.strip():
                details["note"] = " ".join(reason.split())[:500]
            action = TENANT_SUSPEND if status == "suspended" else TENANT_ACTIVATE
            audit_for_tenant(None, action, tenant, audit.TENANT_STATUS, details, email=_cli_actor())
            click.echo(f"Tenant {tenant.slug} is {tenant.status}.")

    return command


_status_command("suspend", "suspended", "Suspend a tenant: its pages and tokens are refused.")
_status_command("activate", "active", "Reactivate a suspended tenant.")


@tenants.command("set-oidc", help="Set a tenant's OpenID Connect provider.")
@click.argument("slug")
@click.option("--issuer", required=True, help="The provider's issuer URL.")
@click.option("--client-id", required=True)
@click.option("--client-secret", required=True, help="Stored encrypted, never shown again.")
@click.option("--scopes", default="openid profile email", show_default=True)
@click.option(
    "--role-claim",
    default="roles",
    show_default=True,
    help="The claim that carries roles or groups.",
)
@click.option(
    "--role-map",
    "role_map",
    multiple=True,
    metavar="VALUE=ROLE",
    help="Map a claim value to a role; repeat for several.",
)
@click.option(
    "--default-role",
    default="employee",
    show_default=True,
    help="Role for users the mapping does not match ('none' refuses them).",
)
@click.option("--allowed-domain", "domains", multiple=True, help="Allowed e-mail domain; repeat.")
def tenants_set_oidc(
    slug: str,
    issuer: str,
    client_id: str,
    client_secret: str,
    scopes: str,
    role_claim: str,
    role_map: tuple[str, ...],
    default_role: str,
    domains: tuple[str, ...],
) -> None:
    from .identity.services import parse_role_mapping, save_idp
    from .operator.cli import _cli_actor

    with _app_context():
        tenant = _with_tenant(slug)
        idp = save_idp(
            tenant,
            issuer=issuer,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            role_claim=role_claim,
            role_mapping=parse_role_mapping("\n".join(role_map)),
            default_role=None if default_role == "none" else default_role,
            allowed_domains=domains,
            actor=_cli_actor(),
        )
        _audit(
            "tenant.idp",
            tenant,
            issuer=idp.issuer,
            client_id=idp.client_id,
            client_secret_changed=True,
            role_claim=idp.role_claim,
        )
        click.echo(f"{tenant.slug} signs in through {idp.issuer} (roles from '{idp.role_claim}').")


@tenants.command(
    "set-saml",
    help="Set a tenant's own SAML provider (AD FS and the like): metadata by --metadata-url "
    "or --metadata-file, and extra signing certificates for a rollover.",
)
@click.argument("slug")
@click.option("--metadata-url", help="Where the provider's metadata is read from now.")
@click.option(
    "--metadata-file", type=click.Path(exists=True, dir_okay=False), help="The metadata XML."
)
@click.option(
    "--certificate",
    "certificates",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A PEM signing certificate beside the metadata's; repeat for several.",
)
@click.option(
    "--role-attribute",
    default="http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
    show_default=True,
    help="The attribute that carries roles or groups.",
)
@click.option("--role-map", "role_map", multiple=True, metavar="VALUE=ROLE")
@click.option("--default-role", default="employee", show_default=True)
@click.option("--allowed-domain", "domains", multiple=True)
@click.option(
    "--min-loa",
    type=click.Choice(["Low", "Substantial", "High"]),
    default="Substantial",
    show_default=True,
    help="The lowest NSIS level let in.",
)
def tenants_set_saml(
    slug: str,
    metadata_url: str | None,
    metadata_file: str | None,
    certificates: tuple[str, ...],
    role_attribute: str,
    role_map: tuple[str, ...],
    default_role: str,
    domains: tuple[str, ...],
    min_loa: str,
) -> None:
    from .identity.services import parse_role_mapping, save_saml_idp
    from .operator.cli import _cli_actor

    if not metadata_url and not metadata_file:
        _fail("Give --metadata-url or --metadata-file.")
    with _app_context():
        tenant = _with_tenant(slug)
        idp = save_saml_idp(
            tenant,
            metadata=Path(metadata_file).read_text() if metadata_file else None,
            metadata_url=metadata_url,
            certificates=[Path(c).read_text() for c in certificates],
            role_claim=role_attribute,
            role_mapping=parse_role_mapping("\n".join(role_map)),
            default_role=None if default_role == "none" else default_role,
            allowed_domains=domains,
            min_loa=min_loa,
            actor=_cli_actor(),
        )
        _audit("tenant.idp", tenant, protocol="saml", issuer=idp.issuer, min_loa=idp.min_loa)
        click.echo(f"{tenant.slug} signs in through SAML provider {idp.issuer}.")


@tenants.command(
    "set-kombit",
    help="Sign a tenant in through the platform's KOMBIT connection (its CVR routes them).",
)
@click.argument("slug")
@click.option(
    "--min-loa",
    type=click.Choice(["Low", "Substantial", "High"]),
    default="Substantial",
    show_default=True,
)
@click.option("--role-map", "role_map", multiple=True, metavar="PRIVILEGE=ROLE")
@click.option("--default-role", default="none", show_default=True)
def tenants_set_kombit(
    slug: str, min_loa: str, role_map: tuple[str, ...], default_role: str
) -> None:
    from .identity.services import parse_role_mapping, save_kombit
    from .operator.cli import _cli_actor

    with _app_context():
        tenant = _with_tenant(slug)
        save_kombit(
            tenant,
            min_loa=min_loa,
            role_mapping=parse_role_mapping("\n".join(role_map)),
            default_role=None if default_role == "none" else default_role,
            actor=_cli_actor(),
        )
        _audit("tenant.idp", tenant, protocol="kombit", min_loa=min_loa)
        click.echo(f"{tenant.slug} signs in through KOMBIT (CVR {tenant.cvr}).")


@main.group(help="Users of a municipality.")
def users() -> None:
    pass


@users.command("create", help="Create a user in a tenant.")
@click.argument("slug")
@click.argument("email")
@click.option("--name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    default=("employee",),
    show_default=True,
    help="employee, automation, manager or tenant_admin; repeat for several.",
)
def users_create(slug: str, email: str, name: str, roles: tuple[str, ...]) -> None:
    from .identity.services import create_user
    from .operator.cli import _cli_actor

    with _app_context():
        tenant = _with_tenant(slug)
        user = create_user(tenant, email, name, roles, actor=_cli_actor())
        click.echo(f"Created {user.email} in {tenant.slug} with roles {', '.join(user.roles)}.")


def _last_login(user: Any) -> str:
    return user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "-"


@users.command("list", help="List a tenant's users: e-mail, status, kind, roles, last login.")
@click.argument("slug")
def users_list(slug: str) -> None:
    from .identity.services import list_users

    with _app_context():
        tenant = _with_tenant(slug)
        for u in list_users(tenant):
            status = "active" if u.active else "deactivated"
            email = "-" if u.is_service else u.email
            click.echo(
                f"{email}\t{status}\t{u.kind}\t{','.join(u.roles)}\t{_last_login(u)}\t{u.name}"
            )


def _user_or_fail(tenant: Any, email: str) -> Any:
    from .identity.services import user_by_email

    user = user_by_email(tenant, email.strip())
    if user is None:
        _fail(f"No user {email} in {tenant.slug} (see `autoproces users list {tenant.slug}`).")
    return user


@users.command(
    "set-roles", help="Set a user's roles (ends their sessions); the IdP mapping may override."
)
@click.argument("slug")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, help="Repeat for several.")
def users_set_roles(slug: str, email: str, roles: tuple[str, ...]) -> None:
    from .identity.services import set_user_roles
    from .operator.cli import _cli_actor

    with _app_context():
        tenant = _with_tenant(slug)
        user = set_user_roles(tenant, _user_or_fail(tenant, email).id, roles, actor=_cli_actor())
        click.echo(f"{user.email} in {tenant.slug} has roles {', '.join(user.roles)}.")


def _user_active_command(name: str, active: bool, help_text: str) -> None:
    @users.command(name, help=help_text)
    @click.argument("slug")
    @click.argument("email")
    def command(slug: str, email: str) -> None:
        from .identity.services import set_user_active
        from .operator.cli import _cli_actor

        with _app_context():
            tenant = _with_tenant(slug)
            user = _user_or_fail(tenant, email)
            set_user_active(tenant, user.id, active, actor=_cli_actor())
            click.echo(f"{user.email} in {tenant.slug} is {'active' if active else 'deactivated'}.")


_user_active_command(
    "deactivate", False, "Deactivate a user: their sessions end and their tokens are refused."
)
_user_active_command("activate", True, "Reactivate a deactivated user.")


@main.group(help="API tokens.")
def tokens() -> None:
    pass


@tokens.command("create", help="Create an API token; it is printed once, as the last line.")
@click.argument("slug")
@click.argument("email")
@click.option("--name", default="", help="What the token is for.")
def tokens_create(slug: str, email: str, name: str) -> None:
    from .identity.services import create_token
    from .operator.cli import _cli_actor

    with _app_context():
        tenant = _with_tenant(slug)
        user = _user_or_fail(tenant, email)
        if not user.active:
            _fail(f"The user {email} is deactivated.")
        _token, secret = create_token(user, name, actor=_cli_actor())
        click.echo(f"Token for {user.email} in {tenant.slug} (shown once, store it now):")
        click.echo(secret)


@tokens.command(
    "list", help="List a tenant's tokens: id, prefix, status, user, created by, last used, name."
)
@click.argument("slug")
def tokens_list(slug: str) -> None:
    from .identity.services import list_tokens, list_users

    with _app_context():
        tenant = _with_tenant(slug)
        users_by_id = {u.id: u for u in list_users(tenant)}

        def who(user_id: Any) -> str:
            user = users_by_id.get(user_id)
            if user is None:
                return "-"
            return f"service:{user.name}" if user.is_service else user.email

        for t in list_tokens(tenant):
            status = "revoked" if t.revoked_at else "active"
            used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "-"
            creator = who(t.created_by) if t.created_by else "cli"
            click.echo(
                f"{t.id}\t{t.prefix}…\t{status}\t{who(t.user_id)}\t{creator}\t{used}\t{t.name}"
            )


@tokens.command("revoke", help="Revoke a token by its id or its prefix (see `tokens list`).")
@click.argument("slug")
@click.argument("token")
def tokens_revoke(slug: str, token: str) -> None:
    from .identity.services import list_tokens, revoke_token
    from .operator.cli import _cli_actor

    with _app_context():
        tenant = _with_tenant(slug)
        wanted = token.strip().rstrip("…")
        matches = [
            t
            for t in list_tokens(tenant)
            if str(t.id) == wanted or (len(wanted) >= 6 and t.prefix.startswith(wanted))
        ]
        if not matches:
            _fail(f"No token {wanted} in {slug} (see `autoproces tokens list {slug}`).")
        if len(matches) > 1:
            _fail(f"{len(matches)} tokens in {slug} begin with {wanted}: give the token's id.")
        revoked = revoke_token(tenant, matches[0].id, actor=_cli_actor())
        click.echo(f"Token {revoked.prefix}… ({revoked.name}) in {tenant.slug} is revoked.")


@main.command(help="Serve the app with gunicorn (production; no demo login).")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option(
    "--port",
    type=int,
    default=lambda: int(os.environ.get("PORT", 8000)),
    show_default="8000 or $PORT",
)
@click.option("--workers", type=int, default=2, show_default=True)
def serve(host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from . import serving
    from .db import app_role_problems, close_connections
    from .observability import gunicorn_settings, prepare_serve

    env = {k: v for k, v in os.environ.items() if k != "AUTOPROCES_DEMO"}
    try:
        log_format = Settings.from_env(env).log_format or "json"
    except ConfigError as e:
        _fail(str(e))
    # Before the app: its first lines and the metrics' storage; undone when the command ends.
    click.get_current_context().call_on_close(prepare_serve(log_format))
    app = _build_app(env)
    with app.app_context():
        problems = app_role_problems()
    # The master only checks; the workers it forks must not inherit its connection.
    close_connections(app)
    from .metrics import forget_this_process

    forget_this_process()  # nor count its pool in the metrics
    if problems:
        _fail("Refusing to serve: " + "; ".join(problems) + ". Connect as the app role.")
    settings = app.config["AUTOPROCES_SETTINGS"]
    if workers > 1 and not settings.shared_rate_limits:
        # Each worker would count on its own: N workers let N times the limits through.
        if not settings.allow_per_worker_rate_limits:
            _fail(
                f"Refusing to serve with {workers} workers and rate limits counted per worker"
                " (RATELIMIT_STORAGE_URI=memory://): set RATELIMIT_STORAGE_URI to a shared store,"
                " e.g. redis://redis:6379, or run with --workers 1"
                " (AUTOPROCES_ALLOW_PER_WORKER_RATE_LIMITS=1 accepts the weaker limits)."
            )
        logging.getLogger(__name__).warning(
            f"rate limits are counted per worker: {workers} workers let {workers} times"
            " the login, token and upload limits through. Set RATELIMIT_STORAGE_URI."
        )

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            # Timeouts for the graceful stop, then logs and metrics (no access log).
            for key, value in {**serving.SETTINGS, **gunicorn_settings(log_format)}.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    serving.run(Server())  # stops gracefully on SIGTERM (platform/serving.py)


@main.command(help="Run the demo: embedded database, demo municipalities, development login.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    type=int,
    default=lambda: int(os.environ.get("PORT", 5000)),
    show_default="5000 or $PORT",
)
def demo(host: str, port: int) -> None:
    from .demo import run_demo

    os.environ["AUTOPROCES_DEMO"] = "1"
    run_demo(host, port)


def _add_operator_commands() -> None:
    from .daily import daily_command
    from .operator.cli import operators
    from .outbox.cli import worker

    main.add_command(operators)
    main.add_command(worker)
    main.add_command(daily_command)


def _add_component_commands() -> None:
    """Components bring their own command groups (platform never imports tenants)."""
    from .components import load_components

    for component in load_components():
        if component.cli is not None:
            main.add_command(component.cli)


_add_operator_commands()
_add_component_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
