"""The suite against a LAS osokit did not write: tests/independent_las, made from the documents only.

A correct LAS that takes other choices than the reference where the documents allow them must pass
(INCOMPLETE only for BRON-CERT-01, which plain HTTP cannot test), and the same LAS with one
deliberate defect must fail the check that covers it. Served by uvicorn in its own process on a
loopback socket, run through ``osokit conformance run`` as a vendor runs it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from reports.results import Results
from tests.conformance.conftest import osokit
from tests.conftest import REDUCED, ROOT

LAS_DIR = ROOT / "tests" / "independent_las"
UNTESTABLE_OVER_HTTP = {"BRON-CERT-01"}  # mutual TLS: a URL target runs plain HTTP (docs/conformance.md)


@contextmanager
def independent_las(**env: str) -> Iterator[str]:
    """The independent LAS under uvicorn on a free 127.0.0.1 port; the URL of its control API."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(LAS_DIR), "app:app", "--fd", str(sock.fileno())]
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/control"
    with sock, tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(
            [*command, "--log-level", "warning"], pass_fds=[sock.fileno()], env={**os.environ, **env}, stderr=log
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                assert server.poll() is None, f"the independent LAS did not start: {log.seek(0) or log.read()[-2000:]}"
                assert time.monotonic() < deadline, "the independent LAS did not answer GET /info within 20 s"
                try:
                    httpx.get(f"{url}/info", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            server.wait(10)


def certify(url: str, out: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], Results]:
    done = osokit("conformance", "run", "--target", url, "--out", str(out), *args, timeout=300)
    assert (out / "results.json").is_file(), done.stdout[-3000:] + done.stderr[-3000:]
    return done, Results.load(out / "results.json")


def assert_passes_all_it_can(done: subprocess.CompletedProcess[str], results: Results) -> None:
    """No check failed or erred; only what plain HTTP cannot test is untested: INCOMPLETE, exit 3."""
    report = done.stdout[-4000:] + done.stderr[-2000:]
    failed = [c.id for c in results.checks if c.outcome not in ("passed", "skipped")]
    assert not failed, report
    assert {u.rule for u in results.untested} == UNTESTABLE_OVER_HTTP, report
    assert results.summary.verdict == "incomplete" and done.returncode == 3, report


def test_the_independent_las_passes_both_roles(tmp_path):
    """Every transfer kind: binnen-BRIN and the SWV dossiers in the bron role, the others in both."""
    with independent_las() as url:
        done, results = certify(url, tmp_path / "out", "--transfer", "popo,povo,vovo,binnenbrin,poswv,voswv")
    assert results.run.prepare == "export"
    assert {c.role for c in results.checks} == {"doel", "bron"}
    assert {c.transfer for c in results.checks} >= {"popo", "povo", "vovo", "binnenbrin", "poswv", "voswv"}
    assert {c.role for c in results.checks if c.transfer in ("binnenbrin", "poswv", "voswv")} == {"bron"}
    assert_passes_all_it_can(done, results)


@pytest.mark.parametrize(
    ("defect", "check", "rule"),
    [
        ("skip-sessiecontrole", "test_bron.py::test_session_is_checked_before_answering[povo]", "BRON-SESSION-01"),
        ("serve-other-pupil", "test_bron.py::test_the_dossier_is_of_the_pupil_asked_for[full-popo]", "BRON-DOSSIER-02"),
        ("oldest-after-verzameldatum", "test_bron.py::test_dossier_verzameldatum_is_honoured", "BRON-VERZ-01"),
    ],
)
def test_a_deliberate_defect_fails_the_check_that_covers_it(tmp_path, defect, check, rule):
    """The correct LAS passes these checks (above); with one defect, exactly the check of its rule fails."""
    with independent_las(CLEANROOM_DEFECT=defect) as url:
        done, results = certify(url, tmp_path / "out", "--role", "bron", "--only", check)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    assert [(c.id, c.rule, c.outcome) for c in results.checks] == [(check, rule, "failed")]
    assert f"FAILED MUST   {check} [{rule}]" in done.stdout


@pytest.mark.slow
def test_the_independent_las_passes_on_a_clock_of_another_school_year(tmp_path):
    """Its /info says its clock is a year behind the real time: the suite dates everything relative to it."""
    behind = (datetime.now(ZoneInfo("Europe/Amsterdam")) - timedelta(days=365)).replace(microsecond=0)
    with independent_las(CLEANROOM_NOW=behind.isoformat()) as url:
        done, results = certify(url, tmp_path / "out", *(["--transfer", "povo"] if REDUCED else []))
    assert_passes_all_it_can(done, results)
