"""A municipality with a row in every tenant-owned table (alpha), and others beside it:
the RLS test (tests/platform/test_rls.py) and the offboarding's complete-deletion test use it."""

from __future__ import annotations

import pytest


@pytest.fixture
def alpha_everywhere(app, make):
    """Tenant alpha with a row in every tenant-owned table; beta with none of them."""
    from autoproces.platform.db import db
    from autoproces.platform.identity.services import save_idp
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug

    a, b = make.tenant("alpha"), make.tenant("beta")
    user = make.user(a, "automation")
    colleague = make.user(a, "employee")
    make.token(user)
    process = make.process(user, phase="preanalysis", associated_user_ids=[user.id])
    gamma = make.tenant("gamma")
    gamma_user = make.user(gamma, "automation")
    gamma_process = make.process(gamma_user, title="Gamma-proces")
    with app.app_context():
        from autoproces.platform.identity.models import User
        from autoproces.tenants.engagement import services as engagement
        from autoproces.tenants.processes.policy import get_process
        from autoproces.tenants.processes.services import update_process

        activate_tenant(tenant_by_slug("alpha"))
        u = db.session.get(User, (a.id, user.id))
        loaded = get_process(u, process.id, need="edit")
        update_process(u, loaded, {"version": process.version, "title": "Ny titel"})
        # Followers (the reporter), favourites, comments and the outbox (mail to a follower).
        c = db.session.get(User, (a.id, colleague.id))
        engagement.follow_process(c, process.id)
        engagement.set_favourite(u, process.id, True)
        engagement.add_comment(u, process.id, "En kommentar")
        from autoproces.tenants.processes.attachments import services as attachments

        attachments.add_attachments(u, loaded, [attachments.Upload("notat.txt", b"Et notat")])
        # The catalogue's tenant-owned link from an entry to its source process.
        from autoproces.shared_catalog import services as catalogue

        published = get_process(u, process.id)
        preview = catalogue.build_preview(u, published)
        catalogue.publish(
            u,
            published,
            catalogue.Choices(),
            catalogue.Publication(preview.fingerprint, size_band="small"),
        )
        # Reuse (migration 0013): alpha copies gamma's entry and wants it too; gamma writes
        # to alpha about alpha's entry (alpha's inbox).
        from autoproces.shared_catalog import reuse

        own_entry = catalogue.entry_for_process(u, published)
        db.session.commit()
        activate_tenant(tenant_by_slug("gamma"))
        g_user = db.session.get(User, (gamma.id, gamma_user.id))
        g_process = get_process(g_user, gamma_process.id)
        g_preview = catalogue.build_preview(g_user, g_process)
        g_entry = catalogue.publish(
            g_user,
            g_process,
            catalogue.Choices(),
            catalogue.Publication(g_preview.fingerprint, size_band="small"),
        )
        reuse.contact(g_user, own_entry.id, "Hvordan gik det?")
        db.session.commit()
        activate_tenant(tenant_by_slug("alpha"))
        u = db.session.get(User, (a.id, user.id))
        reuse.copy_entry(u, g_entry.id)
        reuse.signal_interest(u, g_entry.id, True)
        save_idp(
            tenant_by_slug("alpha"),
            issuer="https://idp.alpha.example",
            client_id="c",
            client_secret="s",
        )
        # Realised runs and the owner's lessons reminder (migration 0016).
        from autoproces.tenants.runs import services as runs
        from autoproces.tenants.runs.models import LessonsReminder

        recorded = runs.record_runs(
            u, [{"process": process.number, "month": "2026-01", "runs": 3, "hours": 1}]
        )
        assert recorded.ok, recorded.errors
        db.session.add(LessonsReminder(tenant_id=a.id, process_id=process.id))
        # Daily jobs and the register's periodic reminders (migration 0017).
        from datetime import date

        from autoproces.platform.daily import DailyRun
        from autoproces.tenants.processes.reminders import ProcessReminder

        db.session.add(
            DailyRun(tenant_id=a.id, job="processes.reminders", day=date.today(), done=1)
        )
        db.session.add(
            ProcessReminder(
                tenant_id=a.id,
                process_id=process.id,
                kind="legal_basis",
                counted_from=date(2026, 1, 1),
                period=1,
            )
        )
        # A saved search (migration 0018).
        from autoproces.tenants.searches.services import create_search

        create_search(u, "Fakturaer", {"q": "faktura"}, notify=True)
        # An invitation by e-mail (migration 0021).
        from autoproces.platform.identity.invitations import invite

        invite(tenant_by_slug("alpha"), "inviteret@alpha.example", ["employee"], actor=u)
        # An export job (migration 0023).
        from autoproces.platform.export.services import request_export

        request_export(tenant_by_slug("alpha"), user=u)
        db.session.commit()
    return a, b
