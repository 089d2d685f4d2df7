"""The mutation run: the suite against every built-in faulty LAS, spread over worker processes.

A worker is a process that runs mutant after mutant through pytest in process, each with its own
world as ``conformance run`` has, so Python's start, the imports and pytest's assertion rewriting
are paid once per worker instead of once per mutant. A mutant whose run crashes its worker or
overruns its time is reported as that mutant's error (never as caught) and its worker is replaced;
Ctrl-C (or SIGTERM) stops every worker. Results come back in the order the mutants were given,
whatever the number of workers, so the output and ``mutants.json`` do not depend on ``--jobs``.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import queue
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest

from conformance.options import RunOptions, Target
from conformance.run import pytest_args
from oso.profiles import Role, TransferKind
from reports.results import Results, ResultsError

MUTANT_TIMEOUT = 300.0
"""Seconds one mutant's run may take before its worker is stopped and the mutant reported as not finished."""

WORKER_START = 120.0
"""Seconds a worker may take to start (a fresh interpreter importing the suite), not counted in a mutant's time."""

_STOP, _READY = None, "ready"  # what the parent sends a worker to make it exit; what a started worker says


@dataclass(frozen=True)
class MutantResult:
    name: str
    defect: str
    role: str
    caught_by: tuple[str, ...]  # the rules with a failing check; a SHOULD rule as "<id> (SHOULD)"
    checks: int
    error: str | None = None

    @property
    def caught(self) -> bool:
        return bool(self.caught_by) and self.error is None


Runner = Callable[[str, Path, int], MutantResult]
"""Runs one mutant (name, out, seed) in the worker's process: :func:`run_mutant`, or a test's own."""


def run_mutant(name: str, out: Path, seed: int = 0) -> MutantResult:
    """One mutant through the suite of its role and transfers, in this process; its results in ``out``."""
    from simulator.mutants import MUTANTS

    m = MUTANTS[name]
    options = RunOptions(
        target=Target(mutant=name),
        roles=(Role(m.role),),
        transfers=tuple(TransferKind(t) for t in m.transfers),
        seed=seed,
    )
    path = out / f"{name}.json"
    code = pytest.main([*pytest_args(options, path), "-p", "no:terminal"])
    if not path.exists():
        return MutantResult(name, m.defect, m.role, (), 0, f"pytest exit code {int(code)}, no results")
    try:
        results = Results.load(path)
    except ResultsError as exc:
        return MutantResult(name, m.defect, m.role, (), 0, str(exc))
    error = None
    if results.summary.verdict == "error":
        error = next((c.message for c in results.checks if c.message), "every check errored")
    caught_by = sorted({c.rule + ("" if c.level == "MUST" else " (SHOULD)") for c in results.checks if c.failing})
    return MutantResult(name, m.defect, m.role, tuple(caught_by), results.summary.total, error)


def _failed(name: str, error: str) -> MutantResult:
    """A mutant whose run gave no results: not caught, with why."""
    from simulator.mutants import MUTANTS

    m = MUTANTS.get(name)
    return MutantResult(name, m.defect if m else "", m.role if m else "", (), 0, error)


_TERMINATED = threading.Event()  # in a worker: the parent stopped it (SIGTERM)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM in a worker: pytest ends the run as on Ctrl-C and tears its world down, then the worker exits."""
    _TERMINATED.set()
    raise KeyboardInterrupt


def _work(conn: Connection, log: str, out: Path, seed: int, runner: Runner) -> None:
    """A worker: mutant names in, results out, until told to stop. Its output goes to its log (the parent
    quotes the log's tail when the worker dies), so nothing a run prints mixes into the progress lines."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it stops the workers on Ctrl-C
    signal.signal(signal.SIGTERM, _terminated)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    with contextlib.suppress(KeyboardInterrupt, EOFError, OSError):  # stopped, or the parent is gone
        conn.send(_READY)
        while (name := conn.recv()) is not _STOP:
            try:
                result = runner(name, out, seed)
            except Exception as exc:  # noqa: BLE001 - one mutant's surprise is that mutant's error, not the run's
                result = _failed(name, f"the run raised {type(exc).__name__}: {exc}"[:300])
            if _TERMINATED.is_set():
                return
            conn.send(result)


class _Worker:
    """One worker process and its end of the pipe, started on first use and again after a crash or time-out."""

    def __init__(self, log: Path, out: Path, seed: int, runner: Runner) -> None:
        self.log, self.out, self.seed, self.runner = log, out, seed, runner
        self.process: BaseProcess | None = None
        self.conn: Connection | None = None
        self.busy = False  # running a mutant: stopping it cannot wait for it to read _STOP

    def run(self, name: str, timeout: float) -> MutantResult:
        if self.process is None or self.conn is None or not self.process.is_alive():
            self._start()
        process, conn = self.process, self.conn
        assert process is not None and conn is not None
        logged = self.log.stat().st_size if self.log.exists() else 0
        self.busy = True
        try:
            conn.send(name)
            if conn.poll(timeout):
                result: MutantResult = conn.recv()
                self.busy = False
                return result
        except (EOFError, OSError):  # it died: the end of its log says why
            process.join(5)
            self.stop()
            said = self._tail(logged)
            return _failed(name, f"its run crashed (worker exit code {process.exitcode}){': ' + said if said else ''}")
        self.stop()
        return _failed(name, f"did not finish within {timeout:.0f} s")

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: the parent has threads and a world
        self.conn, theirs = ctx.Pipe()
        self.process = ctx.Process(
            target=_work, args=(theirs, str(self.log), self.out, self.seed, self.runner), daemon=True
        )
        self.busy = False
        self.process.start()
        theirs.close()
        if not self.conn.poll(WORKER_START) or self.conn.recv() != _READY:
            self.stop()
            raise RuntimeError(f"its worker did not start within {WORKER_START:.0f} s")

    def _tail(self, start: int) -> str:
        with contextlib.suppress(OSError), self.log.open("rb") as f:
            f.seek(start)
            return " ".join(f.read().decode(errors="replace").split())[-300:]
        return ""

    def halt(self) -> None:
        """Ask it to stop: an idle worker by message, a busy one by SIGTERM (its run tears its world down)."""
        process, conn = self.process, self.conn
        if process is None or conn is None or not process.is_alive():
            return
        if self.busy:
            process.terminate()
        else:
            with contextlib.suppress(OSError, ValueError):
                conn.send(_STOP)

    def reap(self) -> None:
        """Gone for good: waited for after :meth:`halt`, then terminated, then killed."""
        process, conn = self.process, self.conn
        self.process = self.conn = None
        if process is None or conn is None:
            return
        for end in (None, process.terminate, process.kill):
            if end is not None and process.is_alive():
                end()
            process.join(5)
        conn.close()

    def stop(self) -> None:
        self.halt()
        self.reap()


def workers(jobs: int | None, mutants: int) -> int:
    """The worker processes a run starts: ``jobs`` (default one per CPU), never more than there are mutants."""
    return max(1, min(jobs or os.cpu_count() or 1, mutants))


def run_mutants(
    names: list[str],
    out: Path,
    *,
    seed: int = 0,
    jobs: int | None = None,
    timeout: float = MUTANT_TIMEOUT,
    on_result: Callable[[MutantResult], None] | None = None,
    runner: Runner = run_mutant,
) -> list[MutantResult]:
    """Every mutant through the suite of its role, on ``jobs`` workers (default: one per CPU); results, and
    ``on_result`` calls, in the order given."""
    out.mkdir(parents=True, exist_ok=True)
    names = list(dict.fromkeys(names))  # each mutant once
    jobs = workers(jobs, len(names))
    todo: queue.Queue[str] = queue.Queue()
    for name in names:
        todo.put(name)
    found: dict[str, MutantResult] = {}
    done = threading.Condition()
    with tempfile.TemporaryDirectory(prefix="osokit-mutants-") as logs:
        pool = [_Worker(Path(logs) / f"worker-{i}.log", out, seed, runner) for i in range(jobs)]

        def drive(worker: _Worker) -> None:
            while True:
                try:
                    name = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    result = worker.run(name, timeout)
                except Exception as exc:  # noqa: BLE001 - e.g. no worker could start: still this mutant's result
                    result = _failed(name, f"no worker could run it: {type(exc).__name__}: {exc}"[:300])
                with done:
                    found[name] = result
                    done.notify()

        threads = [threading.Thread(target=drive, args=(w,), daemon=True) for w in pool]
        try:
            for thread in threads:
                thread.start()
            for result in _in_order(names, found, done, threads):
                if on_result:
                    on_result(result)
        finally:
            _drain(todo)  # on Ctrl-C: no worker takes another mutant
            for worker in pool:
                worker.halt()
            for worker in pool:
                worker.reap()
            for thread in threads:
                thread.join(10)
    ordered = [found[n] for n in names]
    _write_report(out / "mutants.json", ordered, seed)
    return ordered


def _in_order(
    names: list[str], found: dict[str, MutantResult], done: threading.Condition, threads: list[threading.Thread]
) -> Iterator[MutantResult]:
    """The results as the next one in the given order is in (waiting with a time-out, so Ctrl-C is heard; a
    mutant no thread is left to run is reported, not waited for)."""
    for name in names:
        with done:
            while name not in found:
                if not any(t.is_alive() for t in threads) and name not in found:
                    found[name] = _failed(name, "no worker was left to run it")
                    break
                done.wait(0.5)
            result = found[name]
        yield result


def _drain(todo: queue.Queue[str]) -> None:
    with contextlib.suppress(queue.Empty):
        while True:
            todo.get_nowait()


def _write_report(path: Path, ordered: list[MutantResult], seed: int) -> None:
    path.write_text(
        json.dumps(
            {
                "seed": seed,
                "score": [sum(r.caught for r in ordered), len(ordered)],
                "mutants": [
                    {
                        "name": r.name,
                        "defect": r.defect,
                        "role": r.role,
                        "caught": r.caught,
                        "caught_by": list(r.caught_by),
                        "checks": r.checks,
                        "error": r.error,
                    }
                    for r in ordered
                ],
            },
            indent=1,
        ),
        encoding="utf-8",
    )
