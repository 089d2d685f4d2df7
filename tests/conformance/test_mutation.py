"""The mutation run on worker processes: the same verdicts, output and mutants.json for every --jobs, a
crash or time-out reported for its own mutant, Ctrl-C stopping every worker.

The pool is tested with scripted runners (tests/conformance/mutant_runners.py) where the behaviour asked
for (a crash, a hang) is not one a mutant has; the verdicts with the real suite on three mutants.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.mutation import MutantResult, run_mutants, workers
from tests.conformance.conftest import osokit
from tests.conformance.mutant_runners import scripted

ROOT = Path(__file__).parents[2]
SMALL = ["bron-vovo-without-toestemming", "doel-verzameldatum-now", "bron-forbidden-category"]
"""Three mutants of both roles and one transfer each: a real mutation run that takes seconds."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_results_come_in_the_given_order_whatever_finishes_first(tmp_path):
    names = ["a:1.5", "b:0", "c:0.5", "d:0"]  # with two workers, b and d finish before a
    seen: list[str] = []
    results = run_mutants(
        names, tmp_path / "two", jobs=2, seed=7, runner=scripted, on_result=lambda r: seen.append(r.name)
    )
    one = run_mutants(names, tmp_path / "one", jobs=1, seed=7, runner=scripted)
    assert seen == names and [r.name for r in results] == names
    assert results == one and results[0].caught_by == ("RULE-a:1.5-7",)
    assert (tmp_path / "two" / "mutants.json").read_text() == (tmp_path / "one" / "mutants.json").read_text()
    pids = {(tmp_path / "two" / f"{n}.pid").read_text() for n in names}
    assert len(pids) == 2, "two workers, each running mutant after mutant"


def test_a_crash_a_time_out_and_an_exception_are_their_mutants_own_and_the_run_goes_on(tmp_path):
    names = ["crash", "x:0", "hang", "y:0", "raise", "z:0"]
    started = time.monotonic()
    results = run_mutants(names, tmp_path, jobs=2, timeout=5, runner=scripted)
    assert time.monotonic() - started < 30
    by_name = {r.name: r for r in results}
    assert [r.name for r in results] == names
    assert not any(by_name[n].caught for n in ("crash", "hang", "raise"))
    assert (
        "crashed (worker exit code 3)" in by_name["crash"].error
        and "the worker goes down now" in by_name["crash"].error
    )
    assert by_name["hang"].error == "did not finish within 5 s"
    assert by_name["raise"].error == "the run raised RuntimeError: a surprise in the run"
    assert all(by_name[n].caught and by_name[n].error is None for n in ("x:0", "y:0", "z:0"))
    report = json.loads((tmp_path / "mutants.json").read_text())
    assert report["score"] == [3, 6]
    assert [m["caught"] for m in report["mutants"]] == [False, True, False, True, False, True]
    assert not _alive(int((tmp_path / "hang.pid").read_text())), "the hung worker was stopped"


def test_ctrl_c_stops_every_worker(tmp_path):
    script = (  # SIGINT as at a terminal, also when these tests run in the background (where it is ignored)
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "import sys; from pathlib import Path; from conformance.mutation import run_mutants; "
        "from tests.conformance.mutant_runners import scripted; "
        "run_mutants(['hang', 'hang-too', 'a:0'], Path(sys.argv[1]), jobs=2, runner=scripted)"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        pid_files = [tmp_path / "hang.pid", tmp_path / "hang-too.pid"]
        deadline = time.monotonic() + 60
        while not all(p.exists() for p in pid_files) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(p.exists() for p in pid_files), "both workers started a mutant"
        time.sleep(0.3)
        busy = [int(p.read_text()) for p in pid_files]
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()  # (a no-op when it stopped; else no test run leaves it behind)
    assert proc.returncode != 0 and "KeyboardInterrupt" in stderr
    assert not any(_alive(pid) for pid in busy)
    assert not (tmp_path / "a:0.pid").exists(), "no mutant started after Ctrl-C"


def test_workers_default_to_one_per_cpu_and_never_outnumber_the_mutants():
    assert workers(None, 500) == os.cpu_count()
    assert workers(3, 2) == 2 and workers(1, 9) == 1 and workers(None, 0) == 1


def test_the_verdicts_of_a_real_mutation_run_do_not_depend_on_jobs(tmp_path):
    one = run_mutants(SMALL, tmp_path / "one", jobs=1)
    two = run_mutants(SMALL, tmp_path / "two", jobs=2)
    assert one == two
    assert all(isinstance(r, MutantResult) and r.caught and r.checks > 0 for r in one), one
    assert (tmp_path / "one" / "mutants.json").read_text() == (tmp_path / "two" / "mutants.json").read_text()


def test_the_cli_runs_mutants_on_two_workers_and_prints_them_in_the_given_order(tmp_path):
    done = osokit("conformance", "mutants", *(f"--only={n}" for n in SMALL), "--jobs", "2", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines[:-1]] == SMALL and all("CAUGHT by" in line for line in lines[:-1])
    assert lines[-1] == "mutation score: 3/3"
    assert "running 3 mutants, 2 at a time" in done.stderr
    report = json.loads((tmp_path / "mutants.json").read_text())
    assert [m["name"] for m in report["mutants"]] == SMALL


@pytest.mark.parametrize("jobs", ["0", "65", "two"])
def test_a_bad_jobs_is_a_usage_error(jobs):
    done = osokit("conformance", "mutants", "--jobs", jobs)
    assert done.returncode == 2 and "--jobs" in done.stderr and "Traceback" not in done.stderr
