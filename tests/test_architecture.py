"""The dependency rules of docs/ARCHITECTURE.md, read off the code itself.

- `platform` imports neither `tenants` nor `shared_catalog`; `tenants` does not import
  `shared_catalog` (dependencies point one way: shared_catalog → tenants → platform).
- No platform template or view names another component's endpoint: components contribute
  their links through the `Component` interface.
- Inside `tenants`, one component imports another only along the declared edges below.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO_ROOT

FOLDERS = {"platform": "platform", "tenants": "tenants", "shared_catalog": "shared_catalog"}

# Which tenants component may import which (the short declared list).
ALLOWED_COMPONENT_IMPORTS = {
    "engagement": {"processes"},  # comments and following are about processes
    "dashboard": {"processes", "runs"},  # counts the register's processes; realised hours
    "processes": {"taxonomy"},  # KLE and FORM codes classify a process
    "runs": {"processes"},  # realised runs and the lessons reminder are about processes
    "steering": {"processes"},  # the backlog ranks the register's processes by its score
    "searches": {"processes"},  # a saved search is the register list's filters, run by it
}


def _modules(folder: str) -> Iterator[tuple[str, Path]]:
    root = REPO_ROOT / folder
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(("autoproces", folder, *parts)), path


def _imports(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """Every module `path` imports, anywhere in it (lazy imports in functions included)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from . import views` imports a module too
                yield node.lineno, f"{target}.{alias.name}"


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for module, path in _modules(folder):
        for line, target in _imports(module, path):
            if target.startswith(forbidden):
                found.append(f"{path.relative_to(REPO_ROOT)}:{line} imports {target}")
    return sorted(set(found))


def test_the_platform_imports_no_component():
    assert _violations("platform", ("autoproces.tenants", "autoproces.shared_catalog")) == []


def test_tenants_do_not_import_the_catalogue():
    assert _violations("tenants", ("autoproces.shared_catalog",)) == []


def test_tenant_components_import_each_other_only_along_declared_edges():
    found = []
    for module, path in _modules("tenants"):
        parts = module.split(".")
        if len(parts) < 4:
            continue
        own = parts[2]
        for line, target in _imports(module, path):
            target_parts = target.split(".")
            if target_parts[:2] != ["autoproces", "tenants"] or len(target_parts) < 3:
                continue
            other = target_parts[2]
            if other != own and other not in ALLOWED_COMPONENT_IMPORTS.get(own, set()):
                found.append(f"{path.relative_to(REPO_ROOT)}:{line}: {own} imports {target}")
    assert sorted(set(found)) == []


ENDPOINT = re.compile(r"""url_for\(\s*['"]([A-Za-z_][\w]*)\.""")


@pytest.fixture(scope="module")
def blueprint_owners(app) -> dict[str, str]:
    """Each blueprint's name -> the top-level folder whose code defines it."""
    return {name: bp.import_name.split(".")[1] for name, bp in app.blueprints.items()}


def test_no_platform_template_or_view_names_another_components_endpoint(blueprint_owners):
    found = []
    root = REPO_ROOT / "platform"
    for path in sorted([*root.rglob("*.html"), *root.rglob("*.py")]):
        if "vendor" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name in ENDPOINT.findall(line):
                if blueprint_owners.get(name, "platform") != "platform":
                    found.append(f"{path.relative_to(REPO_ROOT)}:{number} names {name}.…")
    assert found == []


# A table named in SQL text: FROM, JOIN, INTO, UPDATE or TABLE, then its name.
SQL_TABLE = re.compile(r"\b(?:from|join|into|update|table)\s+(?:public\.)?([a-z_][a-z0-9_]*)", re.I)


@pytest.fixture(scope="module")
def component_tables(app) -> set[str]:
    """The tables whose models live in a component (tenants, shared_catalog)."""
    from autoproces.platform.db import db

    return {
        mapper.local_table.name
        for mapper in db.Model.registry.mappers
        if mapper.class_.__module__.split(".")[1] != "platform"
    }


def test_the_platform_names_no_components_table(component_tables):
    """The platform's SQL (the operator's usage figures among it) counts its own tables; a
    component's figures come through `Component.usage`."""
    found = []
    root = REPO_ROOT / "platform"
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name in SQL_TABLE.findall(line):
                if name.lower() in component_tables:
                    found.append(f"{path.relative_to(REPO_ROOT)}:{number} names {name}")
    assert found == []


def test_the_rules_see_the_code(blueprint_owners, component_tables):
    """Guards the guards: the walkers find modules, imports and endpoints at all."""
    modules = dict(_modules("tenants"))
    assert "autoproces.tenants.processes.services" in modules
    imports = {
        t
        for _line, t in _imports(
            "autoproces.tenants.engagement.services",
            modules["autoproces.tenants.engagement.services"],
        )
    }
    assert any(t.startswith("autoproces.tenants.processes") for t in imports)
    assert blueprint_owners.get("processes") == "tenants"
    assert blueprint_owners.get("identity") == "platform"
    assert "process" in component_tables and "app_user" not in component_tables
    old_usage = (REPO_ROOT / "migrations/versions/0002_identity.py").read_text(encoding="utf-8")
    assert "process" in SQL_TABLE.findall(old_usage)  # the function the platform had before


# Test folders that are not about one package: journeys through the whole app in a browser,
# the benchmarks (outside the default run), the OpenID provider's script and the deployment
# (the Dockerfile and helm/, which are no Python package).
CROSS_CUTTING_TEST_FOLDERS = {"browser", "benchmarks", "oidc", "deploy"}


def test_the_tests_folder_mirrors_the_code():
    """tests/platform/identity/test_x.py tests platform/identity: every folder of tests names a
    package of the code, and only this file (about all of it) sits at the top."""
    tests = REPO_ROOT / "tests"
    misplaced = []
    for path in sorted(tests.rglob("test_*.py")):
        folder = path.parent.relative_to(tests)
        if folder.parts and folder.parts[0] in CROSS_CUTTING_TEST_FOLDERS:
            continue
        if not folder.parts:
            if path.name != "test_architecture.py":
                misplaced.append(f"{path.name} (at the top)")
            continue
        code = REPO_ROOT / folder
        if folder.parts[0] not in FOLDERS or not any(code.glob("*.py")):
            misplaced.append(str(path.relative_to(tests)))
    assert not misplaced, f"test files outside the code's layout: {misplaced}"
