"""The register's one policy (processes/policy.py, issue 8 D21): the Python rules and their
SQL twin agree for every kind of user and process, and the services and pages follow it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from helpers import bearer, login
from html_forms import submitted
from sqlalchemy import event, select
from werkzeug.datastructures import MultiDict

from autoproces.platform.db import db, use_tenant
from autoproces.platform.errors import Forbidden, NotFound
from autoproces.platform.identity.models import User
from autoproces.tenants.processes import history, policy, services
from autoproces.tenants.processes.models import Phase, Process, Status, Visibility

ROLES = ("employee", "manager", "tenant_admin", "automation")
PHASES = (Phase.IDEA, Phase.PREANALYSIS, Phase.OPERATION)
STATUSES = (Status.NOT_ASSESSED, Status.IN_PROGRESS)


@pytest.fixture
def matrix(app, make):
    """Users of every role (each also a reporter) plus deactivated ones, and processes of
    every visibility, phase and status reported by each of them."""
    tenant = make.tenant("alpha")
    people = {role: make.user(tenant, role) for role in ROLES}
    gone = {role: make.user(tenant, role) for role in ROLES}
    for user in people.values():
        make.process(user)  # one made through the service, too
    with app.app_context():
        use_tenant(tenant.id)
        users = {u.id: u for u in db.session.scalars(select(User))}
        for reporter in people.values():
            for visibility, phase, status in itertools.product(Visibility, PHASES, STATUSES):
                # Test data: the states the rules turn on, set directly.
                p = Process(
                    tenant_id=tenant.id,
                    reporter_id=reporter.id,
                    number=services.next_process_number(tenant.id),
                    title=f"{visibility} {phase} {status}",
                    summary="Opsummering",
                    visibility=visibility.value,
                    phase=phase.value,
                    status=status.value,
                )
                db.session.add(p)
        db.session.flush()
        for user in gone.values():
            users[user.id].active = False
        yield [users[u.id] for u in [*people.values(), *gone.values()]]
        db.session.rollback()


def _all_processes() -> list[Process]:
    return list(db.session.scalars(select(Process)))


def test_can_see_and_visible_to_agree_for_every_user_and_process(matrix):
    users = matrix
    processes = _all_processes()
    assert len(processes) == len(ROLES) * (1 + len(Visibility) * len(PHASES) * len(STATUSES))
    for user in users:
        in_sql = set(
            db.session.scalars(
                select(Process.id).where(
                    Process.tenant_id == user.tenant_id, policy.visible_to(user)
                )
            )
        )
        in_python = {p.id for p in processes if policy.can_see(user, p)}
        assert in_sql == in_python, (user.roles, user.active)
        # And the rule itself: the team and managers see all, others not others' private ones.
        if not user.active:
            assert in_python == set()
        elif set(user.roles) & {"automation", "manager"}:
            assert in_python == {p.id for p in processes}
        else:
            assert in_python == {
                p.id
                for p in processes
                if p.visibility == Visibility.MUNICIPALITY or p.reporter_id == user.id
            }


def test_edit_and_delete_follow_the_rules_for_every_user_and_process(matrix):
    users = matrix
    for user, p in itertools.product(users, _all_processes()):
        team = user.active and "automation" in user.roles
        own_idea = user.active and p.reporter_id == user.id and p.phase == Phase.IDEA
        assert policy.can_edit(user, p) == (team or own_idea), (user.roles, p.title)
        assert policy.can_edit(user, p, {"title"}) == (team or own_idea)
        # The reporter may not write the team's fields, even on their own idea.
        assert policy.can_edit(user, p, {"priority_rank"}) == team
        fresh = own_idea and p.status == Status.NOT_ASSESSED
        assert policy.can_delete(user, p) == (team or fresh), (user.roles, p.title)
        # Nothing one may not see can be changed.
        if not policy.can_see(user, p):
            assert not policy.can_edit(user, p) and not policy.can_delete(user, p)


def test_get_process_checks_once_what_the_caller_needs(matrix):
    users = matrix
    active = [u for u in users if u.active]
    for user, p in itertools.product(active, _all_processes()):
        for need, allowed in (
            ("read", policy.can_see(user, p)),
            ("edit", policy.can_edit(user, p)),
            ("delete", policy.can_delete(user, p)),
        ):
            if not policy.can_see(user, p):
                with pytest.raises(NotFound):
                    policy.get_process(user, p.id, need=need)
            elif allowed:
                assert policy.get_process(user, p.id, need=need).id == p.id
            else:
                with pytest.raises(Forbidden):
                    policy.get_process(user, p.id, need=need)


@pytest.mark.parametrize("role", ROLES)
def test_the_page_shows_the_buttons_the_policy_allows(client, make, role):
    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation")
    user = make.user(tenant, role)
    own = make.process(user)
    other = make.process(team, phase="preanalysis")
    login(client, user)
    for p, team_role in ((own, True), (other, role == "automation")):
        page = client.get(f"/alpha/processer/{p.id}").get_data(as_text=True)
        assert (f"/processer/{p.id}/rediger" in page) == team_role, (role, p.title)
        assert (f"/processer/{p.id}/slet" in page) == team_role, (role, p.title)
        edit = client.get(f"/alpha/processer/{p.id}/rediger")
        assert edit.status_code == (200 if team_role else 403)
        delete = client.get(f"/alpha/processer/{p.id}/slet")
        assert delete.status_code == (200 if team_role else 403)


# A statement that reads process rows by their id (not process_change, process_domain, …);
# row locks (… FOR UPDATE, taken by the attachments and comments) load nothing.
_PROCESS_BY_ID = re.compile(r"\bFROM process\b.*\bprocess\.id = ", re.DOTALL)
_ROW_LOCK = re.compile(r"\bFOR (?:NO KEY |KEY )?(?:UPDATE|SHARE)\s*$")


@contextmanager
def process_loads(app) -> Iterator[list[str]]:
    """The SELECTs on `process` by primary key that run meanwhile."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if (
            statement.lstrip().startswith("SELECT")
            and _PROCESS_BY_ID.search(statement)
            and not _ROW_LOCK.search(statement)
        ):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_request_loads_its_process_once(client, make):
    """D21: the page or API handler loads and checks the process (policy.get_process) and
    hands it on; the writers and the history do not load it again."""
    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation")
    token = make.token(team)
    p = make.process(team, description="Før")
    login(client, team)
    app = client.application
    edit = client.get(f"/alpha/processer/{p.id}/rediger").get_data(as_text=True)
    form = MultiDict(submitted(edit, "process-form"))
    form["description"] = "Efter"
    for request in (
        lambda: client.get(f"/alpha/processer/{p.id}"),  # the page, with its history
        lambda: client.get(f"/alpha/processer/{p.id}/rediger"),
        lambda: client.post(f"/alpha/processer/{p.id}/rediger", data=form),
        lambda: client.get(f"/api/v1/processes/{p.id}/history", headers=bearer(token)),
        lambda: client.patch(
            f"/api/v1/processes/{p.id}",
            json={"version": 2, "title": "Ny titel"},
            headers=bearer(token),
        ),
    ):
        with process_loads(app) as seen:
            r = request()
        assert r.status_code in (200, 302), r.get_data(as_text=True)[:300]
        assert len(seen) == 1, seen
    with process_loads(app) as seen:
        assert client.post(f"/alpha/processer/{p.id}/slet").status_code == 302
    assert len(seen) == 1, seen


def test_the_writers_check_the_process_they_are_given(app, make):
    """A process loaded for one user and handed to a service for another is checked again."""
    tenant = make.tenant("alpha")
    team = make.user(tenant, "automation")
    employee = make.user(tenant, "employee")
    private = make.process(team, visibility="personal")
    shared = make.process(team)
    with app.app_context():
        use_tenant(tenant.id)
        as_team = db.session.get(User, (tenant.id, team.id))
        as_employee = db.session.get(User, (tenant.id, employee.id))
        hidden = policy.get_process(as_team, private.id)
        seen = policy.get_process(as_team, shared.id)
        with pytest.raises(NotFound):
            history.history_entries(as_employee, hidden)
        with pytest.raises(NotFound):
            services.update_process(as_employee, hidden, {"version": 1, "title": "Nej"})
        with pytest.raises(Forbidden):
            services.update_process(as_employee, seen, {"version": 1, "title": "Nej"})
        with pytest.raises(Forbidden):
            services.delete_process(as_employee, seen)
        assert history.history_entries(as_employee, seen) == []
        db.session.rollback()
