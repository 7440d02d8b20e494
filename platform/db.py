"""Database access and per-transaction tenant context.

The tenant is handed to PostgreSQL with `set_config('app.tenant_id', …, true)`
at the start of every transaction, so row-level security sees it and nothing
leaks to the next user of a pooled connection (see DESIGN.md, Tenancy).
"""

from __future__ import annotations

import os
import uuid
import weakref
from typing import Any

from flask import current_app, g, has_app_context, has_request_context
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Engine, MetaData, event, exc, make_url, text
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# hide_parameters: a failed statement's values (a title, a hash) never reach a log line.
db = SQLAlchemy(model_class=Base, engine_options={"pool_pre_ping": True, "hide_parameters": True})

_SET_TENANT = text("select set_config('app.tenant_id', :tenant_id, true)")
# A web request's transaction also gets its time limits, in the same round trip (the worker's
# and the commands' long jobs keep none).
_SET_TENANT_AND_LIMITS = text(
    "select set_config('app.tenant_id', :tenant_id, true),"
    " set_config('statement_timeout', :statement_timeout, true),"
    " set_config('lock_timeout', :lock_timeout, true)"
)


def engine_options(settings: Any, url: str) -> dict[str, Any]:
    """The pool's settings, so that a database that is away costs a request seconds, not a
    hung worker: a checked-out connection is tested first (pre-ping; after a restart every
    older connection is dropped on its first error), connecting gives up after
    `db_connect_timeout`, and a peer that vanished without a word (a fail-over, a network
    split) is noticed by TCP keepalives and tcp_user_timeout. Parameters given in the URL's
    query win."""
    seconds = settings.db_connect_timeout
    connect_args = {
        "connect_timeout": seconds,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": 10_000,  # ms unacknowledged before the connection counts as dead
    }
    given = make_url(url).query
    return {
        "pool_pre_ping": True,
        "pool_timeout": seconds,  # waiting for a free connection of a full pool
        "connect_args": {k: v for k, v in connect_args.items() if k not in given},
    }


# --- Never share a connection across a fork -------------------------------------------------
#
# A forked process (a gunicorn worker) inherits its parent's pools and the sockets in them; two
# processes speaking through one PostgreSQL session get each other's results, RLS's tenant
# setting included. So every forked child forgets the pools it inherited (without closing the
# parent's sockets: SQLAlchemy's `dispose(close=False)`), and as a net under that, a connection
# is refused in any process but the one that opened it (SQLAlchemy's pid recipe), so the pool
# opens a fresh one.

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


@event.listens_for(Engine, "engine_connect")
def _track_engine(connection: Any) -> None:
    _engines.add(connection.engine)


def _forget_inherited_connections() -> None:
    for engine in list(_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


@event.listens_for(Pool, "connect")
def _remember_pid(dbapi_connection: Any, connection_record: Any) -> None:
    connection_record.info["pid"] = os.getpid()


@event.listens_for(Pool, "checkout")
def _refuse_other_process(dbapi_connection: Any, connection_record: Any, proxy: Any) -> None:
    pid = os.getpid()
    if connection_record.info.get("pid") != pid:
        # Detach without closing: the socket still belongs to the process that opened it.
        connection_record.dbapi_connection = proxy.dbapi_connection = None
        raise exc.DisconnectionError(
            f"connection opened in process {connection_record.info.get('pid')}, used in {pid}"
        )


def close_connections(app: Any) -> None:
    """Close every pooled connection of `app`'s engines (a parent before it forks)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def current_tenant_id() -> uuid.UUID | None:
    """The tenant the current request or command acts for, if any."""
    if not has_app_context():
        return None
    return g.get("tenant_id")


def use_tenant(tenant_id: uuid.UUID | None) -> None:
    """Act for `tenant_id` from now on, including in a transaction already open."""
    g.tenant_id = tenant_id
    if db.session().in_transaction():
        db.session.execute(_SET_TENANT, {"tenant_id": str(tenant_id) if tenant_id else ""})


@event.listens_for(FlaskSession, "after_begin")
def _set_tenant_on_begin(session: Any, transaction: Any, connection: Any) -> None:
    tenant_id = current_tenant_id()
    # Always set it, also to '': a transaction without a tenant must see no rows.
    params = {"tenant_id": str(tenant_id) if tenant_id else ""}
    settings = current_app.config.get("AUTOPROCES_SETTINGS") if has_request_context() else None
    if settings is None:
        connection.execute(_SET_TENANT, params)
        return
    params["statement_timeout"] = f"{settings.db_statement_timeout}s"
    params["lock_timeout"] = f"{settings.db_lock_timeout}s"
    connection.execute(_SET_TENANT_AND_LIMITS, params)


def app_role_problems() -> list[str]:
    """Why the connected role must not serve requests (empty when it is safe).

    Row-level security only holds for a role that is not superuser, has no
    BYPASSRLS and owns no table (DESIGN.md, Tenancy).
    """
    row = db.session.execute(
        text(
            "select r.rolname, r.rolsuper, r.rolbypassrls,"
            " (select count(*) from pg_class c where c.relowner = r.oid"
            "  and c.relnamespace = 'public'::regnamespace) as owned"
            " from pg_roles r where r.rolname = current_user"
        )
    ).one()
    problems = []
    if row.rolsuper:
        problems.append(f"the database role {row.rolname} is a superuser")
    if row.rolbypassrls:
        problems.append(f"the database role {row.rolname} has BYPASSRLS")
    if row.owned:
        problems.append(f"the database role {row.rolname} owns {row.owned} relations")
    return problems
