"""`autoproces taxonomy …`: importing KLE and FORM from files.

Added to the main command line through the component's `cli` (platform never imports
tenants). Each command runs in one transaction (`_app_context` of the main CLI, imported
when the command runs).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from .services import ImportResult

FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


@click.group(help="KLE and FORM, the taxonomies shared by every municipality.")
def taxonomy() -> None:
    pass


@taxonomy.command(
    "import-kle",
    help=(
        "Import KLE from FILE: CSV (code,title,level,parent_code) or KL's KLE-Emneplan XML."
        " New codes are added and titles updated; no code is ever deleted."
    ),
)
@click.argument("file", type=FILE)
def import_kle(file: Path) -> None:
    from .services import import_kle as run

    _import(run, file)


@taxonomy.command(
    "import-form",
    help="Import FORM from FILE: CSV (code,title,parent_code). No code is ever deleted.",
)
@click.argument("file", type=FILE)
def import_form(file: Path) -> None:
    from .services import import_form as run

    _import(run, file)


def _import(run: Callable[[Path], ImportResult], file: Path) -> None:
    from autoproces.platform.cli import _app_context

    from .services import MAX_ERRORS_SHOWN, TaxonomyImportError

    with _app_context():
        try:
            result = run(file)
        except TaxonomyImportError as e:
            lines = [e.message]
            problems = [f"  {where}: {m}" for where, ms in e.errors.items() for m in ms]
            lines += problems[:MAX_ERRORS_SHOWN]
            if len(problems) > MAX_ERRORS_SHOWN:
                lines.append(f"  … and {len(problems) - MAX_ERRORS_SHOWN} more")
            raise click.ClickException("\n".join(lines)) from None
        click.echo(result.summary())
