"""`autoproces catalogue …`: mirroring another instance's catalogue (federation.py).

Added to the main command line through the component's `cli`. A harvest runs in one
transaction (`_app_context` of the main CLI): a feed that fails half-way changes nothing."""

from __future__ import annotations

import click


@click.group(help="The shared catalogue.")
def catalogue() -> None:
    pass


@catalogue.command(
    "harvest",
    help=(
        "Mirror the catalogue feed at URL (another Autoproces instance's"
        " https://…/katalog/feed.jsonld) read-only into this catalogue. Run it again to"
        " update: unchanged entries stay as they are, changed ones get a new version, and"
        " entries gone from the feed are withdrawn here."
    ),
)
@click.argument("url")
def harvest(url: str) -> None:
    from autoproces.platform.cli import _app_context

    from .federation import HarvestError
    from .federation import harvest as run

    with _app_context():
        try:
            result = run(url)
        except HarvestError as e:
            raise click.ClickException(f"Nothing harvested: {e.message}") from None
        click.echo(result.summary())
