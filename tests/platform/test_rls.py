"""Row-level security at the SQL level, as the app role sees the database."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


def tenant_tables(conn) -> list[str]:
    return conn.scalars(
        text(
            "select c.relname from pg_class c join pg_attribute a on a.attrelid = c.oid"
            " where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')"
            " and a.attname = 'tenant_id' and not a.attisdropped order by 1"
        )
    ).all()


def test_every_table_with_tenant_id_has_rls_enabled_and_forced(su_engine):
    with su_engine.connect() as conn:
        tables = tenant_tables(conn)
        assert {"app_user", "api_token", "process"} <= set(tables)
        rows = conn.execute(
            text(
                "select relname, relrowsecurity, relforcerowsecurity from pg_class"
                " where relname = any(:t) and relnamespace = 'public'::regnamespace"
            ),
            {"t": tables},
        ).all()
        assert len(rows) == len(tables)
        for name, enabled, forced in rows:
            assert enabled and forced, f"{name} lacks ENABLE/FORCE ROW LEVEL SECURITY"
        policies = set(
            conn.scalars(
                text("select tablename from pg_policies where policyname = 'tenant_isolation'")
            )
        )
        assert set(tables) <= policies


def test_tenant_id_leads_every_key_and_index(su_engine):
    with su_engine.connect() as conn:
        rows = conn.execute(
            text(
                "select c.conrelid::regclass::text, c.conname, c.contype,"
                " (select attname from pg_attribute where attrelid = c.conrelid"
                "  and attnum = c.conkey[1]) as first_col"
                " from pg_constraint c where c.contype in ('p', 'f', 'u')"
                " and c.conname <> all(:global)"
                " and c.connamespace = 'public'::regnamespace"
                " and c.conrelid::regclass::text = any(:t)"
            ),
            {"t": tenant_tables(conn), "global": list(GLOBAL_LOOKUPS)},
        ).all()
    assert rows
    for table, name, _kind, first in rows:
        assert first == "tenant_id", f"{table}.{name} is not led by tenant_id"
    with su_engine.connect() as conn:
        indexes = conn.execute(
            text(
                "select i.indrelid::regclass::text, i.indexrelid::regclass::text,"
                " (select attname from pg_attribute where attrelid = i.indrelid"
                "  and attnum = i.indkey[0]) from pg_index i"
                " where i.indrelid::regclass::text = any(:t)"
            ),
            {"t": tenant_tables(conn)},
        ).all()
    assert indexes
    for table, index, first in indexes:
        if index in GLOBAL_LOOKUPS:
            continue
        assert first == "tenant_id", f"{table}: index {index} is not led by tenant_id"


# Looked up before the tenant is known (a bearer token names its tenant), through a
# SECURITY DEFINER function: unique across the platform on purpose.
GLOBAL_LOOKUPS = {"uq_api_token_hash"}


def test_app_role_owns_nothing_and_cannot_bypass_rls(app_engine):
    with app_engine.connect() as conn:
        row = conn.execute(
            text(
                "select rolsuper, rolbypassrls, (select count(*) from pg_class"
                " where relowner = r.oid) from pg_roles r where rolname = current_user"
            )
        ).one()
    assert row == (False, False, 0)


@pytest.fixture
def two_tenants(make):
    a, b = make.tenant("alpha"), make.tenant("beta")
    ua, ub = make.user(a, "automation"), make.user(b, "automation")
    make.process(ua, title="Alfa-proces")
    make.process(ub, title="Beta-proces")
    return a, b


def _set(conn, tenant_id) -> None:
    conn.execute(text("select set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})


def test_no_tenant_set_means_zero_rows(app_engine, two_tenants):
    with app_engine.connect() as conn:
        for table in ("process", "app_user"):
            assert conn.scalar(text(f"select count(*) from {table}")) == 0


def test_a_tenant_sees_only_its_own_rows(app_engine, two_tenants):
    a, b = two_tenants
    with app_engine.begin() as conn:
        _set(conn, a.id)
        assert conn.scalars(text("select title from process")).all() == ["Alfa-proces"]
        assert (
            conn.scalar(text("select count(*) from process where tenant_id = :b"), {"b": b.id}) == 0
        )


def test_insert_for_another_tenant_is_refused(app_engine, two_tenants):
    a, b = two_tenants
    with pytest.raises(DBAPIError, match="row-level security"):
        with app_engine.begin() as conn:
            _set(conn, a.id)
            conn.execute(
                text("insert into process (tenant_id, title, summary) values (:t, 'x', 'y')"),
                {"t": b.id},
            )


def test_update_and_delete_of_another_tenants_rows_touch_nothing(app_engine, two_tenants):
    a, b = two_tenants
    with app_engine.begin() as conn:
        _set(conn, a.id)
        assert (
            conn.execute(
                text("update process set title = 'hacked' where tenant_id = :b"), {"b": b.id}
            ).rowcount
            == 0
        )
        assert (
            conn.execute(text("delete from process where tenant_id = :b"), {"b": b.id}).rowcount
            == 0
        )
        # Moving an own row into another tenant is refused by WITH CHECK.
    with pytest.raises(DBAPIError, match="row-level security"):
        with app_engine.begin() as conn:
            _set(conn, a.id)
            conn.execute(text("update process set tenant_id = :b"), {"b": b.id})
    with app_engine.begin() as conn:
        _set(conn, b.id)
        assert conn.scalars(text("select title from process")).all() == ["Beta-proces"]


def test_tenant_setting_is_transaction_local(app_engine, two_tenants):
    a, _b = two_tenants
    with app_engine.connect() as conn:
        with conn.begin():
            _set(conn, a.id)
            assert conn.scalar(text("select count(*) from process")) == 1
        # The next transaction on the same (pooled) connection starts with no tenant.
        with conn.begin():
            assert conn.scalar(text("select count(*) from process")) == 0


def test_token_lookup_function_returns_ids_only_and_only_for_live_tokens(app_engine, make, app):
    a = make.tenant("alpha")
    user = make.user(a, "employee")
    secret = make.token(user)
    from autoproces.platform.identity.services import hash_token

    with app_engine.connect() as conn:
        row = conn.execute(
            text("select * from auth_api_token(:h)"), {"h": hash_token(secret)}
        ).one()
        assert set(row._mapping) == {"tenant_id", "token_id", "user_id"}
        assert row.tenant_id == a.id and row.user_id == user.id
        assert conn.execute(text("select * from auth_api_token('nope')")).first() is None
        # The app role still cannot read the token table itself without a tenant.
        assert conn.scalar(text("select count(*) from api_token")) == 0


def test_random_tenant_id_sees_nothing(app_engine, two_tenants):
    with app_engine.begin() as conn:
        _set(conn, uuid.uuid4())
        assert conn.scalar(text("select count(*) from process")) == 0


def test_the_owner_role_is_also_bound_by_rls(owner_engine, two_tenants):
    """FORCE applies to the owner: it reads only what its narrow policies allow (the
    aggregates and the token lookup, see the migrations) and writes into no tenant."""
    a, b = two_tenants
    with owner_engine.begin() as conn:
        assert conn.scalar(text("select count(*) from tenant_idp")) == 0
    with pytest.raises(DBAPIError, match="row-level security"):
        with owner_engine.begin() as conn:
            _set(conn, a.id)
            conn.execute(
                text("insert into process (tenant_id, title, summary) values (:t, 'x', 'y')"),
                {"t": b.id},
            )
    with owner_engine.begin() as conn:
        _set(conn, a.id)
        assert conn.execute(text("update process set title = 'x'")).rowcount == 1
        assert (
            conn.execute(
                text("update process set title = 'x' where tenant_id = :b"), {"b": b.id}
            ).rowcount
            == 0
        )


# alpha_everywhere lives in tests/tenant_world.py (the offboarding test uses it too).


def test_no_tenant_owned_table_leaks_to_another_tenant(app_engine, su_engine, alpha_everywhere):
    """Every table with tenant_id, present and future: another tenant can neither read nor
    change alpha's rows. A new table must get a row in tests/tenant_world.py to pass."""
    a, b = alpha_everywhere
    with su_engine.connect() as conn:
        tables = tenant_tables(conn)
        for table in tables:
            n = conn.scalar(text(f"select count(*) from {table} where tenant_id = :a"), {"a": a.id})
            assert n > 0, f"seed a row of {table} for alpha in the fixture"
    for table in tables:
        with app_engine.begin() as conn:
            _set(conn, b.id)
            where = {"a": a.id}
            assert (
                conn.scalar(text(f"select count(*) from {table} where tenant_id = :a"), where) == 0
            ), table
            for statement in (
                f"update {table} set tenant_id = tenant_id where tenant_id = :a",
                f"delete from {table} where tenant_id = :a",
            ):
                savepoint = conn.begin_nested()
                try:
                    assert conn.execute(text(statement), where).rowcount == 0, statement
                    savepoint.commit()
                except DBAPIError as e:  # append-only tables refuse the app role outright
                    assert "permission denied" in str(e), statement
                    savepoint.rollback()
    with su_engine.connect() as conn:
        for table in tables:
            n = conn.scalar(text(f"select count(*) from {table} where tenant_id = :a"), {"a": a.id})
            assert n > 0, table
