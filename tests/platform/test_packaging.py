"""The package layout: a wheel that works on its own, and a root that shadows nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from helpers import REPO_ROOT

IMPORT_EVERYTHING = r"""
import importlib, sys
from pathlib import Path
import autoproces
site = Path(sys.argv[1]).resolve()
for path in autoproces.__path__:
    assert Path(path).resolve().is_relative_to(site), f"autoproces from {path}, not the wheel"
names = []
# pkgutil does not descend into the namespace packages, so walk the files.
root = Path(next(iter(autoproces.__path__)))
for file in sorted(root.rglob("*.py")):
    parts = file.relative_to(root.parent).with_suffix("").parts
    name = ".".join(p for p in parts if p != "__init__")
    if ".migrations.versions." in name or name.endswith("migrations.env"):
        continue  # loaded by Alembic from their files, not imported
    importlib.import_module(name)
    names.append(name)
for required in ("autoproces.platform.app", "autoproces.platform.cli",
                 "autoproces.tenants.processes.views", "autoproces.migrations.rls"):
    assert required in names, required
from autoproces.platform.app import create_app
app = create_app({"DATABASE_URL": "postgresql://nobody@localhost/none", "SECRET_KEY": "x",
                  "AUTOPROCES_BASE_URL": "http://localhost",
                  "AUTOPROCES_INSTANCE_PATH": sys.argv[2]})
for template in ("base.html", "index.html", "errors/error.html", "processes/list.html",
                 "processes/new.html", "processes/show.html", "identity/dev_login.html",
                 "taxonomy/_kle_results.html", "admin/identity_provider.html",
                 "operator/index.html"):
    app.jinja_env.get_template(template)
static = Path(app.static_folder)
assert (static / "vendor/dkfds/css/dkfds.min.css").is_file()
assert (static / "vendor/htmx/htmx.min.js").is_file()
assert list((static.parent / "translations").glob("*/LC_MESSAGES/messages.mo"))
import autoproces.tenants.taxonomy.services as taxonomy
assert (Path(taxonomy.__file__).parent / "seed" / "kle.csv").is_file()
assert (static.parent / "seed" / "municipalities.csv").is_file()
from autoproces.platform.migrate import head_revision, migrations_dir
assert (migrations_dir() / "env.py").is_file() and head_revision()
import platform
assert platform.python_version()
print("IMPORTED", len(names))
"""


@pytest.mark.slow
def test_wheel_installs_in_a_fresh_venv_and_imports_every_module(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(
        REPO_ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "node_modules",
            "instance",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
        ),
    )
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # No "Package … is absent from the `packages` configuration" for the data folders.
    assert "absent from the `packages`" not in built.stdout + built.stderr
    wheel = next((tmp_path / "dist").glob("autoproces-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for data_file in (
        "autoproces/platform/templates/base.html",
        "autoproces/platform/templates/admin/audit.html",
        "autoproces/platform/operator/templates/operator/suspend.html",
        "autoproces/platform/seed/municipalities.csv",
        "autoproces/tenants/taxonomy/seed/kle.csv",
    ):
        assert data_file in names, data_file
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # Install the wheel with this venv's pip, but only the wheel: the dependencies come
    # from the test environment through a .pth line (its own .pth files stay inactive,
    # so the editable install of the repository cannot leak in).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    result = subprocess.run(
        [str(python), "-c", IMPORT_EVERYTHING, str(site), str(tmp_path / "instance")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "IMPORTED" in result.stdout


def test_repository_root_does_not_shadow_the_standard_library():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import platform, sqlalchemy, uuid; print(platform.python_version(), platform.__file__)",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    platform_file = Path(result.stdout.split()[-1])
    assert platform_file.name == "platform.py"
    assert not platform_file.resolve().is_relative_to(REPO_ROOT)
    assert not (REPO_ROOT / "platform" / "__init__.py").exists()
    assert not (REPO_ROOT / "tenants" / "__init__.py").exists()
    assert not (REPO_ROOT / "shared_catalog" / "__init__.py").exists()
