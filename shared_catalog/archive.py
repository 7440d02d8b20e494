"""The catalogue's part of a municipality's export archive and of its offboarding.

Export: the entries the municipality published (every version, as published, with the
files' metadata), its copies of other municipalities' entries, its interest and its inbox.
Offboarding (the operator's choice): its entries stay as "en kommune" (every version made
anonymous by the narrow `catalogue_anonymise`, migration 0023) or are withdrawn. Either way
the link home (`catalogue_source`) goes with the municipality's other rows, and other
municipalities' copies keep their lineage to the entry, which says it is withdrawn or shows
no publisher.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text, update

from autoproces.platform.db import db

from .models import CatalogueAttachment, CatalogueEntry, CatalogueSource, CatalogueVersion
from .reuse import CatalogueCopy, CatalogueInterest, CatalogueMessage, CatalogueReuse

ANONYMISE = "anonymise"
WITHDRAW = "withdraw"


def _own_entry_ids(tenant: Any) -> list[Any]:
    return list(
        db.session.scalars(
            select(CatalogueSource.entry_id).where(CatalogueSource.tenant_id == tenant.id)
        )
    )


def export(tenant: Any, archive: Any) -> None:
    from autoproces.platform.export.archive import row_dict

    ids = _own_entry_ids(tenant)
    sources = {
        s.entry_id: s
        for s in db.session.scalars(
            select(CatalogueSource).where(CatalogueSource.tenant_id == tenant.id)
        )
    }
    entries = []
    for entry in db.session.scalars(
        select(CatalogueEntry).where(CatalogueEntry.id.in_(ids)).order_by(CatalogueEntry.created_at)
    ):
        versions = db.session.scalars(
            select(CatalogueVersion)
            .where(CatalogueVersion.entry_id == entry.id)
            .order_by(CatalogueVersion.number)
        )
        files = db.session.scalars(
            select(CatalogueAttachment).where(CatalogueAttachment.entry_id == entry.id)
        )
        entries.append(
            {
                "id": entry.id,
                "process_id": sources[entry.id].process_id,
                "current_version": entry.current_version,
                "created_at": entry.created_at,
                "updated_at": entry.updated_at,
                "withdrawn_at": entry.withdrawn_at,
                "hidden_at": entry.hidden_at,
                "hidden_reason": entry.hidden_reason,
                "reuse_count": entry.reuse_count,
                "interest_count": entry.interest_count,
                "versions": [row_dict(v) for v in versions],
                "files": [row_dict(f, exclude=("storage_key",)) for f in files],
            }
        )
    archive.add_json(
        "catalogue_entries",
        "Kommunens indgange i det fælles katalog med alle offentliggjorte versioner",
        entries,
    )

    def rows(model: Any) -> Any:
        return db.session.scalars(select(model).where(model.tenant_id == tenant.id))

    archive.add_rows(
        "catalogue_copies", "Processer kopieret fra andre kommuners indgange", rows(CatalogueCopy)
    )
    archive.add_rows("catalogue_reuse", "Indgange, kommunen har kopieret", rows(CatalogueReuse))
    archive.add_rows(
        "catalogue_interest", "Indgange, kommunen har vist interesse for", rows(CatalogueInterest)
    )
    archive.add_rows(
        "catalogue_messages", "Beskeder fra andre kommuner (indbakken)", rows(CatalogueMessage)
    )


def offboard(tenant: Any, choices: dict[str, str]) -> None:
    """Before the municipality's rows go: its entries become anonymous, or are withdrawn."""
    choice = choices.get("catalogue", WITHDRAW)
    ids = _own_entry_ids(tenant)
    # Either way the municipality's name goes: it is being deleted, and a withdrawn entry
    # stays readable from the copies' lineage.
    for entry_id in ids:
        db.session.execute(text("select catalogue_anonymise(:e)"), {"e": entry_id})
    if choice == WITHDRAW and ids:
        db.session.execute(
            update(CatalogueEntry)
            .where(CatalogueEntry.id.in_(ids), CatalogueEntry.withdrawn_at.is_(None))
            .values(withdrawn_at=datetime.now(UTC), updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
