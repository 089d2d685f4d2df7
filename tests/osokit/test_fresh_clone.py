"""A new user's first `make test`: a fresh `git clone` with no official OSO files beside it and no
chromium on the PATH (and none to be installed). It must pass, and end with the one line that says
what did not run and how to enable it; under CI=true the same absence fails.

Slow: a virtualenv (offline, from tests/osokit/wheelhouse.py) and a test run inside the clone.
OSOKIT_REDUCED=1 runs a subset there (PYTEST_ARGS) that still holds tests of both kinds of outside
truth; the full form runs the clone's whole `make test`. The clone is of the last commit.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ABSENT_LINE, REDUCED, ROOT
from tests.osokit.wheelhouse import offline

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]
SUBSET = "tests/oso/test_codec.py tests/oso/test_schema.py tests/reports/test_html_render.py tests/osokit/test_cli.py"


def path_without(program: str, farm: Path) -> str:
    """$PATH with ``program`` taken out: each folder that holds it is replaced by a folder of links to
    everything else in it."""
    entries = []
    for n, entry in enumerate(os.environ["PATH"].split(os.pathsep)):
        folder = Path(entry)
        if not (folder / program).exists():
            entries.append(entry)
            continue
        links = farm / str(n)
        links.mkdir(parents=True)
        for item in folder.iterdir():
            if item.name != program:
                (links / item.name).symlink_to(item)
        entries.append(str(links))
    return os.pathsep.join(entries)


def test_make_test_passes_on_a_fresh_clone_and_says_what_did_not_run(tmp_path):
    clone = tmp_path / "osokit"  # nothing beside it: no ../shared
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    # a newcomer types `make test` in a shell: no make above it (MAKELEVEL would add make's
    # "Leaving directory" line after the run's last line), no CI, no osokit or Python settings
    outer = ("CI", "MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OSOKIT_", "PYTHON", "VIRTUAL_ENV")) and k not in outer
    }
    env = offline(env, tmp_path) | {"PATH": path_without("chromium", tmp_path / "path"), "BROWSER_INSTALL": "no"}
    assert subprocess.run(["sh", "-c", "command -v chromium"], env=env, capture_output=True).returncode != 0

    make = ["make", "test"] + ([f"PYTEST_ARGS={SUBSET}"] if REDUCED else [])
    done = subprocess.run(make, cwd=clone, env=env, capture_output=True, text=True, timeout=3300, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    last = [line for line in output.splitlines() if line.startswith(ABSENT_LINE)]
    assert len(last) == 1, output[-3000:]
    assert "need the official OSO files" in last[0] and "set OSOKIT_SHARED" in last[0], last
    assert "need chromium" in last[0] and "apt-get install -y chromium" in last[0], last
    assert done.stdout.rstrip().splitlines()[-1] == last[0]  # the last line of the run

    # CI=true: the same absence is a failure, so CI cannot pass without running everything
    ci = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "tests/oso/test_codec.py"],
        cwd=clone,
        env=env | {"CI": "true"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert ci.returncode == 1 and "CI=true runs every test" in ci.stdout, ci.stdout[-3000:]
