"""The demo's catalogue (`make demo`): each demo municipality has shared a couple of its
processes through the real publishing service, so the others have something to find, and
the copies are anonymised like any other."""

from __future__ import annotations

from helpers import login
from sqlalchemy import text


def test_the_demo_shares_entries_from_every_municipality(demo_app, su_engine):
    from autoproces.platform.db import db, use_tenant
    from autoproces.platform.demo import seed_demo
    from autoproces.platform.identity.models import User

    with demo_app.app_context():
        seed_demo()
        db.session.commit()
    with su_engine.connect() as conn:
        per_tenant = dict(
            conn.execute(
                text(
                    "select t.slug, count(*) from catalogue_source s join tenant t"
                    " on t.id = s.tenant_id group by t.slug"
                )
            ).all()
        )
        assert per_tenant == {"syddjurs": 2, "norddjurs": 2, "aarhus": 2}
        publishers = conn.scalars(text("select publisher_name from catalogue_version")).all()
        assert publishers.count(None) == 3  # one "en kommune" each
        # Anonymised like any publish: no demo person's name in what was shared.
        names = conn.scalars(text("select name from app_user")).all()
        texts = " ".join(
            " ".join(f.values()) for f in conn.scalars(text("select fields from catalogue_version"))
        )
        for name in names:
            assert name not in texts
        reader_tenant, reader_id = conn.execute(
            text(
                "select u.tenant_id, u.id from app_user u join tenant t on t.id = u.tenant_id"
                " where t.slug = 'aarhus' and 'employee' = any(u.roles) limit 1"
            )
        ).one()
        titles = conn.scalars(
            text(
                "select v.fields->>'title' from catalogue_version v join catalogue_source s"
                " on s.entry_id = v.entry_id join tenant t on t.id = s.tenant_id"
                " where t.slug = 'syddjurs'"
            )
        ).all()
    with demo_app.app_context():
        use_tenant(reader_tenant)
        reader = db.session.scalar(db.select(User).where(User.id == reader_id))
        db.session.expunge(reader)
    client = demo_app.test_client()
    login(client, reader)
    listing = client.get("/aarhus/katalog").get_data(as_text=True)
    for title in titles:
        assert title in listing
