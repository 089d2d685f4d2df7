"""Offline installs for the install and fresh-clone tests: one folder of wheels, built once.

Every wheel osokit needs with its dev and bench extras, plus pip and setuptools (the build backend),
is built once per pyproject.toml (from pip's cache, or the index the first time) into
``.venv/wheelhouse`` (``OSOKIT_WHEELHOUSE`` elsewhere); after that a new virtualenv installs from
it with the index switched off, so the tests do not download everything again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

WHEELHOUSE = Path(os.environ.get("OSOKIT_WHEELHOUSE", ROOT / ".venv" / "wheelhouse"))


def source_tree(into: Path) -> Path:
    """The checkout's files as git sees them (tracked, plus new files not ignored), copied to ``into``:
    what a clone holds, without the .venv, build leftovers and outputs of the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        if (ROOT / name).is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, into / name)
    return into


def wheelhouse(tmp: Path) -> Path:
    """The wheelhouse, built first if pyproject.toml changed since it was."""
    stamp = WHEELHOUSE / f".pyproject-{hashlib.sha256((ROOT / 'pyproject.toml').read_bytes()).hexdigest()[:16]}"
    if not stamp.exists():
        WHEELHOUSE.mkdir(parents=True, exist_ok=True)
        source = source_tree(tmp / "wheelhouse-source")
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(WHEELHOUSE)]
            + [f"{source}[dev,bench]", "pip", "setuptools>=77"],
            check=True,
            timeout=1800,
        )
        for built in WHEELHOUSE.glob("osokit-*.whl"):  # the tests build their own from the tree they test
            built.unlink()
        stamp.touch()
    return WHEELHOUSE


def offline(env: dict[str, str], tmp: Path) -> dict[str, str]:
    """``env`` with pip taking everything from the wheelhouse and nothing from the index."""
    return env | {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse(tmp)),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
