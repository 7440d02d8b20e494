"""`autoproces operators …`: OS2's operator accounts.

Each command runs in one transaction (`_app_context` of the main CLI, imported when the
command runs: `platform.cli` imports this module while it is still being loaded).
"""

from __future__ import annotations

import getpass
import sys

import click


def _cli_actor() -> str:
    """Who ran a command, for the audit log (there is no signed-in operator on a shell)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@click.group(help="OS2's operators of the platform.")
def operators() -> None:
    pass


@operators.command(
    "create",
    help=(
        "Create an operator who signs in with a password and a TOTP code. The password "
        "(generated unless --password-stdin) and the TOTP secret are printed once."
    ),
)
@click.argument("email")
@click.option("--name", default="", help="The operator's name.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of generating one.",
)
def operators_create(email: str, name: str, password_stdin: bool) -> None:
    from ..cli import _app_context, _fail
    from . import services

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            _fail("--password-stdin: no password on standard input.")
    with _app_context():
        new = services.create_local_operator(email, name, password)
        operator = new.operator
        details = {"operator": operator.email}
        services.audit(None, services.OPERATOR_CREATE, email=_cli_actor(), details=details)
        click.echo(f"Created operator {operator.email}.")
        if services.oidc_client() is not None:
            click.echo(
                "Note: OPERATOR_OIDC_ISSUER is set, so operators sign in through that provider;"
                " this password and TOTP secret are used only without it."
            )
        click.echo("Shown once; store them now.")
        if password is None:
            click.echo(f"Password: {new.password}")
        click.echo(f"TOTP secret (base32): {new.totp_secret}")
        click.echo(f"TOTP URI (scan as a QR code in the authenticator app): {new.totp_uri}")


@operators.command("list", help="List the operators.")
def operators_list() -> None:
    from ..cli import _app_context
    from . import services

    with _app_context():
        for o in services.list_operators():
            kind = "oidc" if o.subject else "password+totp"
            status = "active" if o.active else "deactivated"
            last = o.last_login_at.isoformat(timespec="minutes") if o.last_login_at else "-"
            click.echo(f"{o.email}\t{status}\t{kind}\t{last}\t{o.name or '-'}")


def _set_active(email: str, active: bool) -> None:
    from ..cli import _app_context
    from . import services

    with _app_context():
        operator = services.set_operator_active(email, active)
        action = services.OPERATOR_ACTIVATE if active else services.OPERATOR_DEACTIVATE
        services.audit(None, action, email=_cli_actor(), details={"operator": operator.email})
        click.echo(f"Operator {operator.email} is {'active' if active else 'deactivated'}.")


@operators.command(
    "deactivate", help="Deactivate an operator: no more logins, and open sessions end."
)
@click.argument("email")
def operators_deactivate(email: str) -> None:
    _set_active(email, False)


@operators.command("activate", help="Reactivate a deactivated operator.")
@click.argument("email")
def operators_activate(email: str) -> None:
    _set_active(email, True)
