"""Roles and what they may do: the one permission table, enforced in services."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l


class Role(enum.StrEnum):
    EMPLOYEE = "employee"
    AUTOMATION = "automation"
    MANAGER = "manager"
    TENANT_ADMIN = "tenant_admin"


class Action(enum.StrEnum):
    REPORT = "report"  # report an idea
    READ = "read"  # read what is visible to the municipality
    READ_ALL = "read_all"  # read everything in the tenant, private processes included
    EDIT = "edit"  # edit any process
    ASSESS = "assess"  # assess and prioritise
    PUBLISH = "publish"  # publish to the shared catalogue
    ADMINISTER = "administer"  # tenant settings, identity provider, users, tokens


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.EMPLOYEE: frozenset({Action.REPORT, Action.READ}),
    Role.AUTOMATION: frozenset(
        {Action.REPORT, Action.READ, Action.READ_ALL, Action.EDIT, Action.ASSESS, Action.PUBLISH}
    ),
    Role.MANAGER: frozenset({Action.REPORT, Action.READ, Action.READ_ALL, Action.ASSESS}),
    Role.TENANT_ADMIN: frozenset({Action.REPORT, Action.READ, Action.ADMINISTER}),
}

ROLE_LABELS = {
    Role.EMPLOYEE: _l("Medarbejder"),
    Role.AUTOMATION: _l("Automatiseringskonsulent"),
    Role.MANAGER: _l("Leder"),
    Role.TENANT_ADMIN: _l("Administrator"),
}


def allowed(roles: Iterable[str], action: Action) -> bool:
    """Whether any of `roles` grants `action`. Unknown role names grant nothing."""
    for name in roles:
        try:
            if action in PERMISSIONS[Role(name)]:
                return True
        except ValueError:
            continue
    return False


ACTION_LABELS = {
    Action.REPORT: _l("Indberette idéer"),
    Action.READ: _l("Læse processer, der er synlige i kommunen"),
    Action.READ_ALL: _l("Læse alle kommunens processer, også private"),
    Action.EDIT: _l("Redigere processer"),
    Action.ASSESS: _l("Vurdere og prioritere"),
    Action.PUBLISH: _l("Dele i det fælles katalog"),
    Action.ADMINISTER: _l("Administrere log-in, brugere og API-nøgler"),
}
