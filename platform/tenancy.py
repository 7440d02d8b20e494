"""Tenants (municipalities) and how a request finds the one it acts for."""

from __future__ import annotations

import csv
import enum
import re
import unicodedata
import uuid
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import abort, g
from sqlalchemy import CheckConstraint, DateTime, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from .db import db, use_tenant

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# First path segments the platform itself uses; a tenant can never be called this.
RESERVED_SLUGS = frozenset(
    {
        "api",
        "operator",
        "static",
        "healthz",
        "readyz",
        "metrics",
        "auth",
        "login",
        "logout",
        "lang",
        "admin",
        "saml",
        "catalog",
        "katalog",
        "favicon.ico",
        "robots.txt",
    }
)


class TenantStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Tenant(db.Model):
    """A municipality on the platform. Not tenant-owned: it *is* the tenant."""

    __tablename__ = "tenant"
    __table_args__ = (CheckConstraint("status in ('active', 'suspended')", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=func.gen_random_uuid())
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality_code: Mapped[str | None] = mapped_column(String(3))
    cvr: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20), server_default=TenantStatus.ACTIVE.value)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Named by the operator; whoever first signs in with it becomes tenant_admin.
    first_admin_email: Mapped[str | None] = mapped_column(String(254))

    @property
    def is_active(self) -> bool:
        return self.status == TenantStatus.ACTIVE


class TenantSuspended(Exception):
    """The tenant exists but is suspended; its pages and tokens are refused."""

    def __init__(self, tenant: Tenant) -> None:
        super().__init__(tenant.slug)
        self.tenant = tenant


def tenant_by_slug(slug: str) -> Tenant | None:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def tenant_by_cvr(cvr: str) -> Tenant | None:
    """The municipality with this CVR number (KOMBIT's sign-in names it, not the URL)."""
    if not re.fullmatch(r"[0-9]{8}", cvr or ""):
        return None
    return db.session.scalar(select(Tenant).where(Tenant.cvr == cvr))


def activate_tenant_from_slug(slug: str) -> Tenant:
    """Resolve the URL's tenant and act for it, or stop the request (404/403)."""
    tenant = tenant_by_slug(slug) if SLUG_RE.match(slug) else None
    if tenant is None:
        abort(404)
    if not tenant.is_active:
        raise TenantSuspended(tenant)
    activate_tenant(tenant)
    return tenant


def activate_tenant(tenant: Tenant) -> None:
    g.tenant = tenant
    # For the request's log line, written after the commit has expired the row.
    g.tenant_slug = tenant.slug
    use_tenant(tenant.id)


def current_tenant() -> Tenant | None:
    return g.get("tenant")


def list_active_tenants() -> list[Tenant]:
    return list(
        db.session.scalars(
            select(Tenant).where(Tenant.status == TenantStatus.ACTIVE).order_by(Tenant.name)
        )
    )


CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def valid_cvr(cvr: str) -> bool:
    """CVR numbers are eight digits that pass the modulus-11 check."""
    if not re.fullmatch(r"[0-9]{8}", cvr):
        return False
    return sum(int(d) * w for d, w in zip(cvr, CVR_WEIGHTS, strict=True)) % 11 == 0


def validate_tenant_fields(
    slug: str | None, name: str | None, code: str | None, cvr: str | None
) -> dict[str, list[str]]:
    """Field errors, keyed by field; English texts (the operator's CLI and console)."""
    errors: dict[str, list[str]] = {}
    if slug is not None:
        if not SLUG_RE.match(slug):
            errors["slug"] = ["use lower-case letters, digits and hyphens (e.g. syddjurs)"]
        elif slug in RESERVED_SLUGS:
            errors["slug"] = [f"'{slug}' is reserved by the platform"]
    if name is not None and not name.strip():
        errors["name"] = ["a name is required"]
    elif name is not None and len(name.strip()) > 200:
        errors["name"] = ["at most 200 characters"]
    if code is not None and not re.fullmatch(r"[0-9]{3}", code):
        errors["code"] = ["the municipality code is three digits (e.g. 706)"]
    if cvr is not None and not valid_cvr(cvr):
        errors["cvr"] = ["a CVR number is eight digits that pass the modulus-11 check"]
    return errors


SEED_MUNICIPALITIES = Path(__file__).parent / "seed" / "municipalities.csv"


@lru_cache(maxsize=1)
def _known_municipalities() -> tuple[dict[str, str], ...]:
    with SEED_MUNICIPALITIES.open(encoding="utf-8") as f:
        return tuple(dict(row) for row in csv.DictReader(f))


def known_municipalities() -> dict[str, dict[str, str]]:
    """Denmark's 98 municipalities (seed data), by municipality code: name, code, cvr."""
    return {row["code"]: dict(row) for row in _known_municipalities()}


def suggested_slug(name: str) -> str:
    """An address name from a municipality's name: "Høje-Taastrup Kommune" → hoeje-taastrup."""
    base = re.sub(r"\s+kommune$", "", name.strip(), flags=re.IGNORECASE).lower()
    for danish, ascii_text in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        base = base.replace(danish, ascii_text)
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", base).strip("-")[:63]


def duplicate_tenant_fields(
    name: str | None,
    code: str | None,
    cvr: str | None,
    exclude: uuid.UUID | None = None,
) -> set[str]:
    """Which of name (case-insensitive), municipality code and CVR another tenant has."""
    found: set[str] = set()
    checks = (
        ("name", func.lower(Tenant.name), name.strip().lower() if name else None),
        ("code", Tenant.municipality_code, code),
        ("cvr", Tenant.cvr, cvr),
    )
    for key, column, value in checks:
        if not value:
            continue
        query = select(Tenant.id).where(column == value)
        if exclude is not None:
            query = query.where(Tenant.id != exclude)
        if db.session.scalar(query.limit(1)) is not None:
            found.add(key)
    return found


def _duplicate_errors(found: set[str]) -> dict[str, list[str]]:
    messages = {
        "name": ("name", "another tenant has this name"),
        "code": ("code", "another tenant has this municipality code"),
        "cvr": ("cvr", "another tenant has this CVR number"),
    }
    return {messages[k][0]: [messages[k][1]] for k in sorted(found)}


def create_tenant(
    slug: str, name: str, municipality_code: str | None = None, cvr: str | None = None
) -> Tenant:
    from .errors import Invalid

    slug = slug.strip().lower()
    errors = validate_tenant_fields(slug, name, municipality_code, cvr)
    if not errors and tenant_by_slug(slug) is not None:
        errors["slug"] = [f"a tenant called '{slug}' exists already"]
    if not errors:
        errors = _duplicate_errors(duplicate_tenant_fields(name, municipality_code, cvr))
    if errors:
        raise Invalid("The tenant could not be created.", errors)
    tenant = Tenant(slug=slug, name=name.strip(), municipality_code=municipality_code, cvr=cvr)
    db.session.add(tenant)
    db.session.flush()
    _init_components(tenant)
    return tenant


def _init_components(tenant: Tenant) -> None:
    """Let each component set up the new tenant's own data, acting for that tenant."""
    from .components import load_components

    previous = g.get("tenant")
    activate_tenant(tenant)
    try:
        for component in load_components():
            if component.init_tenant is not None:
                component.init_tenant(tenant)
    finally:
        if previous is not None:
            activate_tenant(previous)
        else:
            g.tenant = None
            g.tenant_slug = None
            use_tenant(None)


def set_tenant_status(slug: str, status: TenantStatus) -> Tenant:
    from .errors import NotFound

    tenant = tenant_by_slug(slug)
    if tenant is None:
        raise NotFound(f"no tenant called '{slug}'")
    tenant.status = status.value
    db.session.flush()
    return tenant


def update_tenant(
    slug: str, name: str, municipality_code: str | None = None, cvr: str | None = None
) -> Tenant:
    """Change a tenant's name, municipality code and CVR number (the slug stays: URLs,
    sessions and tokens are bound to it). Empty code or CVR clears it."""
    from .errors import Invalid, NotFound

    tenant = tenant_by_slug(slug)
    if tenant is None:
        raise NotFound(f"no tenant called '{slug}'")
    municipality_code = (municipality_code or "").strip() or None
    cvr = (cvr or "").strip() or None
    errors = validate_tenant_fields(None, name, municipality_code, cvr)
    if "name" not in errors and len(name.strip()) > 200:
        errors["name"] = ["the name is at most 200 characters"]
    if not errors:
        errors = _duplicate_errors(
            duplicate_tenant_fields(name, municipality_code, cvr, exclude=tenant.id)
        )
    if errors:
        raise Invalid("The tenant could not be changed.", errors)
    tenant.name = name.strip()
    tenant.municipality_code = municipality_code
    tenant.cvr = cvr
    db.session.flush()
    return tenant
