"""`make demo` runs `osokit demo`: dossiers, a passing reference run, a failing mutant run, and where it all is."""

from __future__ import annotations

import subprocess
import sys

from oso.profiles import Profile
from reports.results import Results


def test_demo_runs_everything_and_says_where_the_reports_are(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "osokit.cli", "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "all as expected" in done.stdout
    reference = Results.load(tmp_path / "conformance" / "results.json")
    mutant = Results.load(tmp_path / "conformance-mutant" / "results.json")
    assert reference.summary.verdict == "pass" and mutant.summary.verdict == "fail"
    for folder in ("conformance", "conformance-mutant"):
        for name in ("results.json", "junit.xml", "report.html"):
            assert (tmp_path / folder / name).is_file()
            assert str(tmp_path / folder / name) in done.stdout
    assert len(list((tmp_path / "fixtures").rglob("*.xml"))) == len(Profile) * 30  # every profile, both sizes


def test_the_demo_can_run_again_in_the_same_folder(tmp_path, capsys):
    from osokit.demo import fixtures_step

    assert fixtures_step(tmp_path, 0) == 0
    assert fixtures_step(tmp_path, 1) == 0  # its own earlier dossiers are replaced, not refused
    assert len(list(tmp_path.rglob("*.xml"))) == len(Profile) * 30
