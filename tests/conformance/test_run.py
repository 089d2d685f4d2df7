"""``osokit conformance run``: verdicts and exit codes, the three reports, re-running one check, setup errors."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from reports.results import Results, consistency
from tests.conformance.conftest import control_front, osokit, served


def test_the_reference_passes_every_check_in_both_roles(tmp_path):
    done = osokit("conformance", "run", "--target", "reference", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    results = Results.load(tmp_path / "results.json")
    assert consistency(results) == []
    assert results.summary.verdict == "pass" and results.summary.passed == results.summary.total > 200
    assert {c.role for c in results.checks} == {"doel", "bron"}
    assert {c.transfer for c in results.checks} >= {"popo", "povo", "vovo"}
    assert results.run.simulator["tls"] is True
    assert "verdict: PASS" in done.stdout and str(tmp_path / "report.html") in done.stdout

    junit = etree.parse(str(tmp_path / "junit.xml"))
    cases = junit.findall(".//testcase")
    assert len(cases) == results.summary.total
    rule_of = {p.get("value") for p in junit.iterfind(".//testcase/properties/property[@name='rule']")}
    assert rule_of == {c.rule for c in results.checks}
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "PASS" in html and 'src="http' not in html and 'href="http' not in html


def test_a_mutant_fails_on_the_rule_it_breaks_and_one_check_can_be_rerun(tmp_path):
    done = osokit(
        "conformance",
        "run",
        "--target",
        "mutant:doel-closes-twice",
        "--role",
        "doel",
        "--transfer",
        "popo",
        "--out",
        str(tmp_path / "run"),
    )
    assert done.returncode == 1, done.stdout[-3000:]
    results = Results.load(tmp_path / "run" / "results.json")
    failed = [c for c in results.checks if c.failing]
    # the console: one line per failing check, the verdict, the reports; no pytest progress dots
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["FAILED"] * len(failed) + ["verdict:", "reports:"] + [
        "json",
        "junit",
        "html",
    ], done.stdout
    assert all(f"{c.id} [{c.rule}]" in done.stdout for c in failed)
    assert {c.rule for c in failed} >= {"TC-AFMELD-01"} and all(c.role == "doel" for c in results.checks)
    closing = next(c for c in failed if c.rule == "TC-AFMELD-01")
    assert "2 afmelding" in closing.message and closing.evidence, "the failure shows what the LAS sent"
    junit = (tmp_path / "run" / "junit.xml").read_text(encoding="utf-8")
    assert "TC-AFMELD-01" in junit and "<failure" in junit

    rerun = shlex.split(closing.rerun)
    assert rerun[:3] == ["osokit", "conformance", "run"]
    rerun[rerun.index("--out") + 1] = str(tmp_path / "rerun")
    again = osokit(*rerun[1:])
    assert again.returncode == 1, again.stdout[-2000:]
    alone = Results.load(tmp_path / "rerun" / "results.json")
    assert [c.id for c in alone.checks] == [closing.id] and alone.checks[0].failing


def test_should_failures_do_not_fail_the_run(tmp_path):
    done = osokit(
        "conformance",
        "run",
        "--target",
        "mutant:bron-refuses-retry",
        "--role",
        "bron",
        "--transfer",
        "povo",
        "--out",
        str(tmp_path),
    )
    results = Results.load(tmp_path / "results.json")
    assert [c.rule for c in results.checks if c.failing] == ["BRON-ROBUST-01"]
    assert results.summary.should_failed == 1 and results.summary.verdict == "pass"
    assert done.returncode == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--target", "mutant:no-such-thing"], "no such mutant"),
        (["--target", "http://127.0.0.1:9/control"], "not reachable"),
        (["--target", "http://192.0.2.1/control"], "loopback only"),
        (["--target", "ftp://x"], "use reference, mutant:<name>"),
        (["--adapter", "no.such.module:Adapter"], "cannot load"),
        (["--adapter", "json:JSONDecoder"], "is not a conformance.adapter.VendorAdapter"),
        (["--transfer", "popo,pobo"], "argument --transfer: 'popo,pobo': choose from popo,povo,vovo"),
        (["--role", "ouder"], "argument --role: 'ouder': choose doel, bron or both"),
        (["--tls", "maybe"], "argument --tls: 'maybe': choose auto, on or off"),
        (["--target", "mutant:"], "mutant:<name> needs a name"),
        (["--adapter", "manual"], "--adapter manual needs the vendor info file"),
        (["--adapter", "manual:/no/such/vendor.json"], "cannot read vendor info /no/such/vendor.json"),
        (["--only", "test_nothing.py::test_nothing"], "no such check"),
        (["--only", "test_bron.py::test_nothing"], "not found"),
    ],
    ids=lambda v: v if isinstance(v, str) else " ".join(v),
)
def test_setup_errors_exit_2_with_a_clear_message(tmp_path, args, says):
    done = osokit("conformance", "run", "--out", str(tmp_path), *args)
    assert done.returncode == 2, (done.returncode, done.stdout[-1500:], done.stderr[-1500:])
    assert says in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("vendor_environment", ["mutant:bron-serves-expired"], indirect=True)
def test_a_faulty_vendor_environment_fails(tmp_path, vendor_environment):
    done = osokit(
        "conformance",
        "run",
        "--target",
        f"{vendor_environment.url}/control",
        "--role",
        "bron",
        "--transfer",
        "povo",
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 1, done.stdout[-3000:]
    results = Results.load(tmp_path / "results.json")
    assert {c.rule for c in results.checks if c.failing} == {"BRON-REFUSE-03"}


def test_a_python_adapter_class_can_drive_the_las(tmp_path, vendor_environment):
    control = f"{vendor_environment.url}/control"
    done = osokit(
        "conformance",
        "run",
        "--target",
        control,
        "--adapter",
        "conformance.adapter:HttpAdapter",
        "--role",
        "doel",
        "--transfer",
        "popo",
        "--out",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert Results.load(tmp_path / "results.json").run.adapter == "conformance.adapter:HttpAdapter"


def test_set_up_errors_are_found_before_the_first_check(tmp_path, vendor_environment):
    """A manual adapter file that is not vendor info, an --out that cannot be written, a GET /info that is
    not usable: one line, exit 2, and no check has run."""
    bad_info = tmp_path / "vendor.json"
    bad_info.write_text('{"vendor": "x", "doel": {"po": {}}, "bron": {}}')
    (tmp_path / "a-file").write_text("")
    wrong = control_front(f"{vendor_environment.url}/control", missing={"GET /info"})
    with served(wrong) as url:
        cases = [
            (["--adapter", f"manual:{bad_info}"], "doel must give one school per sector, po and vo"),
            (["--out", str(tmp_path / "a-file" / "out")], "the reports cannot be written there"),
            (["--target", url], f"--target {url}: its GET /info is not usable: control API GET /info: HTTP 404"),
        ]
        for args, says in cases:
            done = osokit("conformance", "run", "--out", str(tmp_path / "out"), *args)
            assert done.returncode == 2 and done.stdout == "", (args, done.stdout[-1000:], done.stderr[-1000:])
            (line,) = done.stderr.strip().splitlines()
            assert line.startswith("osokit: error: ") and says in line, line


def test_results_json_names_the_run_and_the_command(tmp_path):
    done = osokit("conformance", "run", "--role", "bron", "--transfer", "vovo", "--seed", "7", "--out", str(tmp_path))
    assert done.returncode == 0
    run = json.loads((tmp_path / "results.json").read_text())["run"]
    assert run["seed"] == 7 and run["roles"] == ["bron"] and run["transfers"] == ["vovo"]
    assert run["command"].startswith("osokit conformance run") and "--seed 7" in run["command"]
    assert Path(tmp_path / "report.html").stat().st_size > 10_000


def test_a_run_stopped_half_way_is_no_verdict(tmp_path):
    """SIGTERM (a CI time-out, the simulator's UI shutting down) mid-run: exit 130 and no reports,
    never the PASS of the checks that happened to run before it."""
    progress = tmp_path / "progress.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "osokit.cli",
            "conformance",
            "run",
            "--target",
            "reference",
            "--out",
            str(tmp_path / "out"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTEST_PLUGINS": "simulator.runprogress", "OSOKIT_PROGRESS": str(progress)},
    )
    deadline = time.monotonic() + 120
    while (not progress.exists() or progress.read_text().count("outcome") < 3) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "osokit: interrupted" in err, out[-2000:] + err[-2000:]
    assert "verdict:" not in out and not (tmp_path / "out").exists()


def test_the_run_s_simulator_listens_on_the_port_given(tmp_path):
    """--port: a port that is taken stops the run at set-up; a free one runs it (for a LAS behind a firewall)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = osokit("conformance", "run", "--role", "bron", "--transfer", "popo", "--port", str(port),
                      "--out", str(tmp_path / "busy"))  # fmt: skip
    assert busy.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr, busy.stderr[-1500:]
    done = osokit("conformance", "run", "--role", "bron", "--transfer", "popo", "--port", str(port),
                  "--out", str(tmp_path / "free"))  # fmt: skip
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    bad = osokit("conformance", "run", "--port", "70000", "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "argument --port: '70000': give a port" in bad.stderr
