"""A municipality with a user in every role and a few processes, for the saved searches'
tests; another user of the same municipality and another municipality to be kept out."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

ROLES = ("employee", "automation", "manager", "tenant_admin")


@pytest.fixture
def world(make):
    alpha = make.tenant("alpha", "Alfa Kommune")
    users = {
        role: make.user(alpha, role, name=f"{role.title()} Alfa", email=f"{role}@alpha.dk")
        for role in ROLES
    }
    team = users["automation"]
    other = make.user(alpha, "employee", name="Ole Anden", email="ole@alpha.dk")
    beta = make.tenant("beta", "Beta Kommune")
    stranger = make.user(beta, "automation", name="Bo Beta", email="bo@beta.dk")
    invoice = make.process(team, title="Fakturahåndtering", summary="Fakturaer bogføres.")
    payroll = make.process(team, title="Lønrefusion", summary="Refusion af løn.")
    running = make.process(
        team, title="Faktura i drift", summary="Fakturaer i drift.", phase="operation"
    )
    return SimpleNamespace(
        alpha=alpha,
        beta=beta,
        users=users,
        team=team,
        employee=users["employee"],
        other=other,
        stranger=stranger,
        invoice=invoice,
        payroll=payroll,
        running=running,
    )


@pytest.fixture
def as_user(app):
    """`as_user(user)`: a context manager with the app, the user's tenant active and the
    user loaded in the session (for calling the services directly)."""
    from contextlib import contextmanager

    from autoproces.platform.db import db
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    @contextmanager
    def enter(user, slug: str = "alpha"):
        with app.test_request_context():
            activate_tenant(tenant_by_slug(slug))
            yield db.session.get(User, (user.tenant_id, user.id))
            db.session.commit()

    return enter
