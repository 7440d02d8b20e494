"""`autoproces operators …` (filled in by the operator console work)."""

from __future__ import annotations

import click


@click.group(help="OS2's operators of the platform.")
def operators() -> None:
    pass
