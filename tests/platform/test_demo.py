"""The demo seed: three municipalities, users in every role, realistic processes."""

from __future__ import annotations

from sqlalchemy import text


def test_seed_creates_three_municipalities_with_every_role_and_processes(demo_app, su_engine):
    from autoproces.platform.db import db
    from autoproces.platform.demo import seed_demo

    with demo_app.app_context():
        created = seed_demo()
        db.session.commit()
        assert [t.slug for t in created] == ["syddjurs", "norddjurs", "aarhus"]
        assert seed_demo() == []  # running again reuses what exists
        db.session.commit()
    with su_engine.connect() as conn:
        tenants = conn.execute(
            text("select slug, name, municipality_code, cvr from tenant order by slug")
        ).all()
        assert tenants == [
            ("aarhus", "Aarhus Kommune", "751", "55133018"),
            ("norddjurs", "Norddjurs Kommune", "707", "29189986"),
            ("syddjurs", "Syddjurs Kommune", "706", "29189978"),
        ]
        roles = conn.execute(
            text(
                "select t.slug, array_agg(distinct r) from app_user u join tenant t on t.id ="
                " u.tenant_id, unnest(u.roles) r group by t.slug"
            )
        ).all()
        for _slug, found in roles:
            assert set(found) == {"employee", "automation", "manager", "tenant_admin"}
        per_tenant = dict(
            conn.execute(
                text(
                    "select t.slug, count(*) from process p join tenant t on t.id = p.tenant_id"
                    " group by t.slug"
                )
            ).all()
        )
        assert sum(per_tenant.values()) == 30 and min(per_tenant.values()) >= 8
        phases = set(conn.scalars(text("select distinct phase from process")))
        assert {"idea", "preanalysis", "development", "operation"} <= phases
        assert conn.scalar(text("select count(*) from process where reporter_id is null")) == 0
        # Every demo process sits in a fagområde and cites a KLE topic that exists.
        assert (
            conn.scalar(
                text(
                    "select count(*) from process p where not exists (select 1 from process_domain d"
                    " where d.tenant_id = p.tenant_id and d.process_id = p.id)"
                )
            )
            == 0
        )
        assert (
            conn.scalar(
                text(
                    "select count(*) from process p left join kle_entry k on k.code = p.kle_code"
                    " where k.code is null"
                )
            )
            == 0
        )
        assert conn.scalar(text("select count(*) from kle_entry")) == 2925
        # The dates agree: started before going into operation, decommissioned after.
        assert conn.scalar(text("select count(*) from process where planned_start is not null"))
        inconsistent = conn.scalars(
            text(
                "select title from process where put_into_operation_at < planned_start"
                " or decommissioned_at < put_into_operation_at"
                " or (phase in ('operation', 'decommissioned') and put_into_operation_at is null)"
            )
        ).all()
        assert inconsistent == []


def test_demo_login_lands_in_the_register(demo_app, su_engine):
    from autoproces.platform.db import db
    from autoproces.platform.demo import seed_demo

    with demo_app.app_context():
        seed_demo()
        db.session.commit()
    with su_engine.connect() as conn:
        user_id = conn.scalar(
            text(
                "select u.id from app_user u join tenant t on t.id = u.tenant_id"
                " where t.slug = 'syddjurs' and 'employee' = any(u.roles) limit 1"
            )
        )
    client = demo_app.test_client()
    r = client.post("/syddjurs/dev-login", data={"user_id": str(user_id)})
    assert r.status_code == 302
    html = client.get(r.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Syddjurs Kommune" in html and "processer" in html


def test_the_demo_backlog_has_scores_and_the_matrix_has_dots(demo_app):
    """Demo processes past the idea are assessed, so a steering group sees a ranked backlog
    and a matrix with points, not "Kan ikke placeres" for every candidate."""
    from sqlalchemy import select

    from autoproces.platform.db import db
    from autoproces.platform.demo import seed_demo
    from autoproces.platform.identity.models import User
    from autoproces.platform.tenancy import activate_tenant, tenant_by_slug
    from autoproces.tenants.steering import services as steering

    with demo_app.test_request_context():
        seed_demo()
        db.session.commit()
        tenant = tenant_by_slug("syddjurs")
        activate_tenant(tenant)
        manager = next(
            u
            for u in db.session.scalars(select(User).where(User.tenant_id == tenant.id))
            if "manager" in u.roles
        )
        points, unplaced = steering.matrix(manager)
        assert len(points) >= 3, (len(points), len(unplaced))
