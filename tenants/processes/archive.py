"""The register's part of a municipality's export archive (`Component.export`): every
process (private ones too) with its history, fagområder, people, settings and attachments
(the files themselves), and the "Processer" sheet, which is the register's own Excel export
(exchange/export.py, so its columns come from fields.py)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from autoproces.platform.db import db

from .attachments.models import Attachment
from .exchange.export import all_rows, write_sheet
from .models import (
    Domain,
    Process,
    ProcessAssociatedUser,
    ProcessChange,
    ProcessDomain,
    TenantSettings,
)


def export(tenant: Any, archive: Any) -> None:
    t = tenant.id

    def rows(model: Any, *order: Any) -> Any:
        return db.session.scalars(select(model).where(model.tenant_id == t).order_by(*order))

    archive.add_rows(
        "processes", "Processerne, alle felter (også private)", rows(Process, Process.number)
    )
    archive.add_rows(
        "process_history",
        "Processernes historik: felt, gammel og ny værdi, hvem og hvornår",
        rows(ProcessChange, ProcessChange.id),
    )
    archive.add_rows("domains", "Kommunens fagområder", rows(Domain, Domain.position))
    archive.add_rows("process_domains", "Processernes fagområder", rows(ProcessDomain))
    archive.add_rows(
        "process_people", "Personer tilknyttet processerne", rows(ProcessAssociatedUser)
    )
    archive.add_rows("register_settings", "Registerets indstillinger", rows(TenantSettings))
    attachments = []
    for a in rows(Attachment, Attachment.process_id, Attachment.created_at):
        item = {
            "id": a.id,
            "process_id": a.process_id,
            "filename": a.filename,
            "content_type": a.content_type,
            "size_bytes": a.size_bytes,
            "sha256": a.sha256,
            "description": a.description,
            "shareable": a.shareable,
            "uploaded_by": a.uploaded_by,
            "created_at": a.created_at,
        }
        item["file"] = archive.add_file(f"attachments/{a.process_id}/{a.filename}", a.storage_key)
        attachments.append(item)
    archive.add_json(
        "attachments", "Bilag; `file` er filens sti i arkivet (under files/)", attachments
    )
    archive.add_sheet(_("Processer"), all_rows(t), write=write_sheet)
