"""The container image: built by Debian's podman (buildah inside) from the Dockerfile on a base
made here with debootstrap, then started as the chart starts it (read-only root, non-root user,
only /tmp, the instance folder and the metrics folder writable) against the test PostgreSQL.

Skipped where podman or debootstrap is missing (`apt-get install podman debootstrap runc`);
it is not part of the Makefile's set-up, since the build takes minutes and needs root."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import APP_ROLE, OWNER_ROLE, REPO_ROOT, SmtpServer, free_port
from sqlalchemy import create_engine, text

from autoproces.platform.embedded import with_user_and_db

# Building the image takes 3 to 8 minutes (a debootstrap base, pip and npm inside): it runs
# with `make test-image`, not in `make test`, which would then pass 15 minutes in CI.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("AUTOPROCES_IMAGE_TEST") != "1",
        reason="builds the container image: make test-image (AUTOPROCES_IMAGE_TEST=1)",
    ),
    pytest.mark.skipif(
        not (shutil.which("podman") and shutil.which("debootstrap") and os.geteuid() == 0),
        reason="needs Debian's podman and debootstrap, as root",
    ),
]

BASE = "localhost/autoproces-base:bookworm"
IMAGE = "localhost/autoproces:test"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


def podman_global() -> list[str]:
    # cgroupfs and runc: crun refuses the hybrid cgroup layout some CI sandboxes have.
    args = ["podman", "--cgroup-manager", "cgroupfs"]
    return args + (["--runtime", "runc"] if shutil.which("runc") else [])


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*podman_global(), *args], capture_output=True, text=True, check=check, timeout=timeout
    )


def ensure_base(tmp_path: Path) -> None:
    """A minimal Debian bookworm from Debian's packages, imported as the build's base."""
    if podman("image", "exists", BASE, check=False).returncode == 0:
        return
    root = tmp_path / "rootfs"
    subprocess.run(
        ["debootstrap", "--variant=minbase", "bookworm", str(root), "http://deb.debian.org/debian"],
        check=True,
        capture_output=True,
        timeout=900,
    )
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(
        [*podman_global(), "import", "--change", 'CMD ["/bin/bash"]', "-", BASE],
        stdin=tar.stdout,
        check=True,
        capture_output=True,
        timeout=300,
    )
    tar.wait()


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ensure_base(tmp_path_factory.mktemp("base"))
    build = ["build", "--isolation", "chroot", "--network", "host", "--build-arg", f"BASE={BASE}"]
    if HOST_CA.is_file():
        # This machine's CA bundle, for the build's pip and npm only (an intercepting proxy).
        build += ["-v", f"{HOST_CA}:/run/host-ca.crt:ro"]
        build += ["--build-arg", "PIP_CERT=/run/host-ca.crt"]
        build += ["--build-arg", "NODE_EXTRA_CA_CERTS=/run/host-ca.crt"]
    done = podman(*build, "-t", IMAGE, str(REPO_ROOT), check=False, timeout=1800)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    yield IMAGE
    # Each build leaves the previous one's layers untagged (about 2 GB): drop them.
    podman("image", "prune", "-f", check=False, timeout=300)


@pytest.fixture
def fresh_database(database):
    """An empty database owned by the owner role, for the image's own `db upgrade`."""
    name = f"autoproces_image_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
    yield {
        "owner": with_user_and_db(database.admin_url, OWNER_ROLE, name),
        "app": with_user_and_db(database.admin_url, APP_ROLE, name),
    }
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def locked_down(name: str) -> list[str]:
    """`podman run` as the chart runs a pod: read-only root, writable /tmp, instance and
    metrics folders, no capabilities, no privilege escalation, host networking (loopback)."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return [
        "run",
        "--name",
        name,
        "--network",
        "host",
        "--read-only",
        "--read-only-tmpfs=false",
        "--tmpfs",
        "/tmp:rw,mode=1777",
        # anonymous volumes, owned as the image made the folders (podman's tmpfs ignores
        # mode=), as an emptyDir with fsGroup is in the chart
        "-v",
        "/var/lib/autoproces",
        "-v",
        "/run/autoproces/metrics",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        # no raising of limits here (the sandbox lacks CAP_SYS_RESOURCE)
        "--ulimit",
        f"nofile={nofile}:{nofile}",
        "--ulimit",
        "nproc=4096:4096",
    ]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_image_migrates_serves_and_runs_the_worker(image, fresh_database):
    tag = uuid.uuid4().hex[:8]
    migrate = podman(
        *locked_down(f"ap-migrate-{tag}"),
        "--rm",
        "-e",
        f"MIGRATION_DATABASE_URL={fresh_database['owner']}",
        image,
        "db",
        "upgrade",
        check=False,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    port = free_port()
    env = {
        "DATABASE_URL": fresh_database["app"],
        "SECRET_KEY": "image-test-" + tag,
        "AUTOPROCES_BASE_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "AUTOPROCES_ALLOW_PER_WORKER_RATE_LIMITS": "1",
    }
    env_args = [arg for k, v in env.items() for arg in ("-e", f"{k}={v}")]
    web = f"ap-web-{tag}"
    podman(*locked_down(web), "-d", *env_args, image)  # the image's CMD: serve
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            try:
                status, body = get(f"http://127.0.0.1:{port}/readyz")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        logs = podman("logs", web, check=False).stderr
        assert status == 200, logs
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        # the UI assets from the npm stage and the compiled translations are in the wheel
        status, body = get(f"http://127.0.0.1:{port}/static/vendor/htmx/htmx.min.js")
        assert status == 200 and b"htmx" in body
        status, body = get(f"http://127.0.0.1:{port}/")
        assert status == 200, body[:500]
        assert b'lang="da"' in body
        # a non-root user, and nothing writable outside the volumes
        assert podman("exec", web, "id", "-u").stdout.strip() == "10001"
        assert podman("exec", web, "touch", "/opt/autoproces/x", check=False).returncode != 0
        assert podman("exec", web, "touch", "/var/lib/autoproces/x").returncode == 0
        # SAML signs and decrypts with Debian's xmlsec1, which the runtime stage installs
        assert "xmlsec1" in podman("exec", web, "xmlsec1", "--version").stdout

        smtp = SmtpServer()
        smtp.start()
        try:
            worker = podman(
                *locked_down(f"ap-worker-{tag}"),
                "--rm",
                *env_args,
                "-e",
                "SMTP_HOST=127.0.0.1",
                "-e",
                f"SMTP_PORT={smtp.port}",
                image,
                "worker",
                "--once",
                check=False,
                timeout=300,
            )
        finally:
            smtp.stop()
        assert worker.returncode == 0, worker.stdout + worker.stderr

        # SIGTERM: gunicorn finishes and exits cleanly (tini passes the signal on)
        podman("stop", "-t", "30", web, timeout=60)
        state = podman("inspect", web, "--format", "{{.State.ExitCode}}").stdout.strip()
        assert state == "0", podman("logs", web, check=False).stderr[-3000:]
    finally:
        podman("rm", "-f", "-v", web, check=False)
