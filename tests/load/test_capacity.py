"""``osokit load capacity`` for real: the reference LAS served as a URL target (``osokit serve --vut``),
a LAS made slow on purpose (the ``bron-slow-document`` mutant), and a distributed run over hosts in
network namespaces. The runs are slow (each a few steps of locust against two simulators);
OSOKIT_REDUCED=1 (CI) shortens the steps and the ladder. Bad arguments are quick and always run.

The machine is shared and small: the tests assert relations (a knee exists, the slow LAS's is lower)
and the consistency of what the run reports, never absolute figures.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from load import report
from tests.conftest import REDUCED
from tests.load import netns
from tests.load.test_run import osokit
from tests.simulator.serve import start

STEP = "2s" if REDUCED else "5s"
SLOW = "p50<250ms,errors=0,conformance=0"  # robust on short steps: a p99 of a few requests is their slowest
HEADLINE = re.compile(
    r"capacity: (bron|doel) sustains ([\d.,]+) transfers/s at p99 ([\d,]+) ms \(SLO (.+)\); "
    r"needed at the national peak: ([\d.,]+)/s; headroom ([\d.,]+)"
)


def capacity(target: str, out: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return osokit("load", "capacity", "--target", target, "--out", str(out), "--step-duration", STEP, *args,
                  timeout=timeout)  # fmt: skip


def free_ports(n: int) -> list[int]:
    """Ports free on loopback now (bound by the kernel's choice, then let go)."""
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def served(tmp_path: Path, vut: str) -> tuple[object, str]:
    vendor = start(tmp_path / vut.replace(":", "-"), "--vut", vut, "--cohort", "povo=0")
    return vendor, f"{vendor.url}/control"


def headlines(stdout: str) -> dict[str, re.Match[str]]:
    lines = stdout.strip().splitlines()
    found = {m.group(1): m for m in map(HEADLINE.fullmatch, lines[-2:]) if m}
    assert found and HEADLINE.fullmatch(lines[-1]), stdout[-3000:]
    return found


@pytest.mark.slow
def test_both_roles_find_their_knee_or_say_there_was_none_and_both_files_are_written(tmp_path):
    """The reference doel beside a bron that is slow on purpose (50 ms a documentRequest on its one worker,
    so at most 20 transfers/s): the bron's knee lies inside the ladder on any machine. Whether the doel's
    does depends on the machine (a fast one sustains every step offered): both outcomes must be reported
    consistently."""
    vendor, target = served(tmp_path, "mutant:bron-slow-document")
    ports = sorted(free_ports(2))  # a range: the simulator on the first, the master (if any) on the last
    try:
        done = capacity(
            target, tmp_path / "out", "--role", "both", "--slo", "p99<1s,errors=0,conformance=0",
            "--port", f"{ports[0]}-{ports[1]}",
            "--max-rate", "128", "--pupils", "20", "--batch", "24", "--cohort", "600",
            "--schools", "60",
        )  # fmt: skip
    finally:
        vendor.stop()
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    document = json.loads((tmp_path / "out" / "capacity.json").read_text())
    assert report.validate(document) == []
    assert document["run"]["simulator"]["url"] == f"http://127.0.0.1:{ports[0]}"  # --port
    page = (tmp_path / "out" / "capacity.html").read_text()
    assert page.count("<svg") == 6 and "<script" not in page
    lines = headlines(done.stdout)
    assert list(lines) == ["bron", "doel"]
    for role, line in lines.items():
        result = document["roles"][role]
        k = result["knee"]
        if role == "bron" or k["found"]:
            assert k["found"], (role, k, result["warnings"])  # the ladder went past what the LAS sustains
            assert k["step"] is not None and k["step"] < k["breaking_step"], (role, k)
            assert not result["steps"][k["breaking_step"]]["holds"]
        else:  # every step held: the top one is the figure, and the run says the knee lies above it
            assert k["step"] == len(result["steps"]) - 1 and all(s["holds"] for s in result["steps"]), k
            assert any(w.startswith("no knee up to") for w in result["warnings"]), result["warnings"]
        held = result["steps"][k["step"]]
        assert held["holds"] and held["errors"] == 0 and held["conformance"] == 0
        assert float(line.group(2)) == pytest.approx(k["sustainable_per_s"], abs=0.06)
        assert float(line.group(6).replace(",", "")) == pytest.approx(result["headroom"], abs=0.06)
        assert result["headroom"] == pytest.approx(k["sustainable_per_s"] / result["demand"]["needed_per_s"], 0.01)
        assert all("simulator_cores" in s["extra"] for s in result["steps"]), "the simulator's CPU per step"
    doel = document["roles"]["doel"]
    assert doel["sessions"]["opened"] > 0 and doel["sessions"]["left_open"] == 0
    assert doel["sessions"]["opened"] == doel["sessions"]["closed"]
    assert set(doel["sessions"]["results"]) <= {"OverdrachtGeslaagd", "GeenNieuwerDossier"}
    assert doel["batches"]["intakes"] > 0
    assert (done.returncode == 0) == all(r["headroom"] >= 1 for r in document["roles"].values())


@pytest.mark.slow
def test_a_las_that_spends_50_ms_on_every_document_request_sustains_less(tmp_path):
    """The same run against the reference LAS and against the slow mutant, one after the other."""
    rates = {}
    for vut in ("reference", "mutant:bron-slow-document"):
        vendor, target = served(tmp_path, vut)
        try:
            out = tmp_path / vut.replace(":", "-")
            done = capacity(target, out / "out", "--role", "bron", "--max-rate", "64", "--pupils", "20",
                            "--slo", SLOW)  # fmt: skip
        finally:
            vendor.stop()
        assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
        result = json.loads((out / "out" / "capacity.json").read_text())["roles"]["bron"]
        rates[vut] = result
    slow, reference = rates["mutant:bron-slow-document"], rates["reference"]
    assert slow["knee"]["found"], slow["warnings"]
    assert slow["knee"]["sustainable_per_s"] < reference["knee"]["sustainable_per_s"], (slow["knee"], reference["knee"])
    added = sorted(s["p50_ms"] - r["p50_ms"] for s, r in zip(slow["steps"], reference["steps"], strict=False))
    assert added[len(added) // 2] >= 40, added  # the 50 ms shows in the median step both ran


@pytest.mark.slow
@pytest.mark.parametrize(
    ("vut", "failure"),
    [
        ("mutant:bron-skips-sessiecontrole", "answered without a sessiecontrole at the TC"),
        ("mutant:bron-serves-other-pupil", "the dossier served is not of the pupil the session is for"),
    ],
)
def test_a_bron_that_is_fast_because_it_is_wrong_sustains_nothing(tmp_path, vut, failure):
    vendor, target = served(tmp_path, vut)
    try:
        done = capacity(target, tmp_path / "out", "--role", "bron", "--max-rate", "2", "--pupils", "10")
    finally:
        vendor.stop()
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    bron = json.loads((tmp_path / "out" / "capacity.json").read_text())["roles"]["bron"]
    first = bron["steps"][0]
    assert not first["holds"] and first["conformance"] > 0 and "conformance=0" in " ".join(first["breaches"])
    assert any(failure in what for what in first["extra"]["failures"]), first["extra"]["failures"]
    assert bron["knee"]["sustainable_per_s"] == 0 and bron["headroom"] == 0
    assert headlines(done.stdout)["bron"].group(2) == "0.0"


@pytest.mark.slow
def test_under_a_flaky_bron_the_doel_still_closes_every_session_and_says_what_went_wrong(tmp_path):
    vendor, target = served(tmp_path, "reference")
    try:
        done = capacity(target, tmp_path / "out", "--role", "doel", "--faults", "flaky-bron", "--slo", "p99<5s",
                        "--max-rate", "8", "--batch", "24", "--cohort", "600")  # fmt: skip
    finally:
        vendor.stop()
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    document = json.loads((tmp_path / "out" / "capacity.json").read_text())
    doel = document["roles"]["doel"]
    assert doel["faults"] == "flaky-bron" and document["run"]["simulator"]["faults"] == "flaky-bron"
    sessions = doel["sessions"]
    assert sessions["opened"] > 0 and sessions["left_open"] == 0 and sessions["closed"] == sessions["opened"]
    assert set(sessions["results"]) - {"OverdrachtGeslaagd", "GeenNieuwerDossier"}, sessions["results"]
    assert sum(s["errors"] for s in doel["steps"]) > 0  # transfers the bron's faults spoilt count as errors
    assert "fault profile</dt><dd>flaky-bron" in (tmp_path / "out" / "capacity.html").read_text()


@pytest.mark.slow
@pytest.mark.skipif(netns.missing() is not None, reason=str(netns.missing()))
def test_a_distributed_run_crosses_network_namespaces(tmp_path):
    """Master and simulator, a worker, and the LAS each on a host of their own; the load comes from the
    worker's host (the master generates none), through the bridge, and the run still finds its figures."""
    python = [sys.executable, "-m", "osokit.cli"]
    token = tmp_path / "target.token"  # beyond loopback the hosted LAS's control API asks for the admin token
    token.write_text(secrets.token_urlsafe(32))
    with netns.hosts("master", "worker", "target") as h:
        target = h.popen(
            "target",
            [*python, "serve", "--host", h.address["target"], "--port", "0", "--allow-remote", "--vut", "reference",
             "--cohort", "povo=0", "--data-dir", str(tmp_path / "target"), "--admin-token-file", str(token)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        processes = [target]
        try:
            url = re.search(r"listening on (\S+)", target.stdout.readline()).group(1)
            run = h.popen(
                "master",
                [*python, "load", "capacity", "--target", f"{url}/control", "--role", "bron", "--out",
                 str(tmp_path / "out"), "--step-duration", STEP, "--max-rate", "4" if REDUCED else "12",
                 "--pupils", "10", "--processes", "1", "--remote-workers", "1", "--host", h.address["master"],
                 "--allow-remote", "--control-token-file", str(token)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            processes.append(run)
            master = None
            deadline = time.monotonic() + 300
            for line in run.stderr:
                found = re.search(r"osokit load worker --master (\S+)", line)
                if found:
                    master = found.group(1)
                    break
                assert time.monotonic() < deadline, "the run never asked for its worker"
            assert master and master.startswith(h.address["master"] + ":"), master
            worker = h.popen("worker", [*python, "load", "worker", "--master", master],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            processes.append(worker)
            sent_before = h.sent_bytes("worker")
            stdout, stderr = run.communicate(timeout=900)
            sent = h.sent_bytes("worker") - sent_before
            worker.wait(60)  # a worker stops when its master does
        finally:
            for p in processes:
                if p.poll() is None:
                    p.terminate()
                    p.wait(30)
                for pipe in (p.stdout, p.stderr):
                    if pipe:
                        pipe.close()  # also when the run failed early: no unclosed file for a later test
    assert run.returncode in (0, 1), stdout[-3000:] + stderr[-3000:]
    document = json.loads((tmp_path / "out" / "capacity.json").read_text())
    assert document["run"]["remote_workers"] == 1 and document["run"]["processes"] == 1
    bron = document["roles"]["bron"]
    assert bron["steps"][0]["requests"] > 0 and bron["steps"][0]["holds"], bron["steps"][0]
    assert headlines(stdout)["bron"]
    assert sent > 50_000, f"the worker's host sent only {sent} bytes: the load did not come from it"
    assert worker.returncode == 0
    log = (tmp_path / "out" / "bron" / "locust.log").read_text()
    assert "1 workers connected" in log or "worker index:0" in log, log[-2000:]


# --- arguments: one line, exit 2, nothing started -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--target", "http://10.1.2.3:9000/control"], "--target 10.1.2.3: not a loopback address"),
        (["--target", "ftp://127.0.0.1/control"], "--target ftp://127.0.0.1/control: use an http:// or https:// URL"),
        (["--host", "10.1.2.3"], "--host 10.1.2.3: not a loopback address"),
        (["--port", "8700-8700"], "--port 8700-8700: use ports 1..65535"),
        (["--port", "http"], "--port http: use a port"),
        (["--processes", "2", "--remote-workers", "3"], "--remote-workers 3: at most --processes (2)"),
        (["--share", "150%"], "--share 150%: use more than 0 and at most 100%"),
        (["--schools", "0"], "--schools 0: use at least 1"),
        (["--max-rate", "0"], "--max-rate 0.0: use a number of transfers per second above 0"),
        (["--step-duration", "0s"], "--step-duration 0s: use 1s to 1h"),
        (["--slo", "p99<fast"], "--slo: cannot read 'p99<fast'"),
        (["--control-token-file", "/nonexistent/token"], "--control-token-file /nonexistent/token: no such file"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, args, error):
    given = {"--target": "http://127.0.0.1:9/control", "--role": "bron", "--out": str(tmp_path / "out")}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        given[flag] = value
    done = osokit("load", "capacity", *[x for pair in given.items() for x in pair], timeout=60)
    assert done.returncode == 2 and error in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_schools_and_share_exclude_each_other(tmp_path):
    done = osokit("load", "capacity", "--target", "http://127.0.0.1:9/control", "--role", "bron", "--out",
                  str(tmp_path), "--schools", "3", "--share", "10%", timeout=60)  # fmt: skip
    assert done.returncode == 2 and "not allowed with argument --schools" in done.stderr


def test_a_target_with_no_las_behind_it_is_one_line_and_exit_2(tmp_path):
    done = osokit("load", "capacity", "--target", "http://127.0.0.1:9/control", "--role", "bron", "--out",
                  str(tmp_path / "out"), timeout=60)  # fmt: skip
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and lines[-1].startswith("osokit: error: --target http://127.0.0.1:9/control: "), lines
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("text", "ports"), [("0", (0, 0)), ("8700", (8700, 8701)), ("8700-8710", (8700, 8710))])
def test_a_port_is_the_simulators_and_the_next_or_a_range_gives_both(text, ports):
    from osokit.cli import _ports

    assert _ports("--port", text) == ports


def test_a_worker_needs_a_master_address():
    done = osokit("load", "worker", "--master", "nowhere", timeout=60)
    assert done.returncode == 2 and "--master nowhere: use HOST:PORT" in done.stderr


def test_a_step_the_cpu_sampler_woke_in_only_once_still_gets_the_simulators_cores():
    """On a busy machine a 2 s step may hold one sample of the 1 s sampler, or none: the samples around it
    give its figures (the simulator: 3 CPU seconds over the 2 s from the sample before to the one after)."""
    from load.capacity import _Sampler

    sampler = _Sampler(0)
    sampler.samples = [
        (100.0, 10.0, [1.0], 0.0, 0.0),  # (time, simulator CPU s, locust CPU s, machine busy, machine total)
        (101.5, 12.0, [1.5], 10.0, 20.0),
        (102.0, 13.0, [2.0], 20.0, 40.0),
    ]
    figures = sampler.between(100.2, 101.9)
    assert figures == {"simulator_cores": 1.5, "generator_cores": 0.5, "machine_busy": 0.5}
    assert sampler.between(100.5, 101.0)["simulator_cores"] == round(2 / 1.5, 3)  # none inside: still figures
    assert _Sampler(0).between(1.0, 2.0) == {}
