"""Every Danish UI text has an English translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from helpers import REPO_ROOT

PO = REPO_ROOT / "platform" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def test_every_text_in_the_code_is_translated_to_english(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with pot.open("rb") as f:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with PO.open("rb") as f:
        catalog = read_po(f)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    assert len(wanted) > 50  # the extraction found the texts
    missing = sorted(wanted - translated)
    assert not missing, f"run `make update-translations` and translate: {missing}"
