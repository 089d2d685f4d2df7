"""Conformance runs started from the browser: ``osokit conformance run`` as a subprocess, one at a time.

The pages know a run only as that command: its arguments, its console, its exit code (0 PASS, 1
FAIL, 2 could not be set up, 3 INCOMPLETE) and the reports it writes to its ``--out`` folder, which
they serve read-only. So the suite's internals can change freely. Progress comes from a small
pytest plugin (:mod:`simulator.runprogress`, named in ``PYTEST_PLUGINS``) that writes a line per
finished check; the suite runs under pytest, the plugin needs nothing else of it.

Each run lives in a folder of its own under ``<data dir>/runs/<id>``: ``run.json`` (what was asked,
when, how it ended), ``console.log``, ``progress.jsonl`` and ``report/``. The newest
:data:`KEEP` runs are kept; a run still going when the simulator stopped is shown as interrupted.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from oso.errors import OsokitError
from oso.profiles import TransferKind

ROLES = ("both", "doel", "bron")
KINDS = tuple(k.value for k in TransferKind)  # what `osokit conformance run --transfer` takes
LANGS = ("en", "nl")  # and --lang: the language of report.html
VERDICTS = {0: "PASS", 1: "FAIL", 2: "ERROR", 3: "INCOMPLETE", 130: "STOPPED"}  # by exit code; others: ERROR
KEEP = 20  # runs kept; the oldest finished ones go first
TIMEOUT = 1800.0  # seconds a run may take before it is stopped
CONSOLE_LINES = 80  # of the console, the last lines a status shows
_ID = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")
_TARGET = re.compile(r"^(reference|mutant:[a-z0-9-]{1,64}|https?://[^\s]{1,300})$")


class RunError(OsokitError):
    """A run that cannot start: the reason, and the HTTP status that says it (400 bad input, 409 busy)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Run:
    id: str
    target: str
    role: str
    transfers: tuple[str, ...]
    started: float
    lang: str = "en"
    finished: float | None = None
    code: int | None = None
    state: str = "running"  # running | finished | interrupted
    note: str = ""
    folder: Path = field(default=Path(), repr=False)
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def argv(self) -> list[str]:
        """The command's arguments after ``osokit``."""
        return [
            *("conformance", "run", "--target", self.target, "--role", self.role),
            *("--transfer", ",".join(self.transfers), "--lang", self.lang, "--out", str(self.folder / "report")),
        ]

    def save(self) -> None:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("folder", "proc")}
        tmp = self.folder / "run.json.tmp"
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.replace(self.folder / "run.json")

    @classmethod
    def load(cls, folder: Path) -> Run | None:
        try:
            data = json.loads((folder / "run.json").read_text(encoding="utf-8"))
            run = cls(**data | {"transfers": tuple(data["transfers"])}, folder=folder)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        if run.state == "running":  # its simulator stopped before it ended
            run.state, run.note = "interrupted", "the simulator stopped while this run was going"
        return run

    def report_file(self, name: str) -> Path | None:
        """A file of the run's report folder by name; None for anything else (no paths, no dot files)."""
        if "/" in name or "\\" in name or name.startswith("."):
            return None
        path = self.folder / "report" / name
        return path if path.is_file() else None

    def progress(self) -> dict[str, int]:
        counts = {"total": 0, "done": 0, "failed": 0}
        try:
            lines = (self.folder / "progress.jsonl").read_text(encoding="utf-8").splitlines()
        except OSError:
            return counts
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line being written
            if "total" in event:
                counts["total"] += int(event["total"])
            elif "outcome" in event:
                counts["done"] += 1
                counts["failed"] += event["outcome"] == "failed"
        return counts

    def status(self) -> dict[str, Any]:
        """What the run page shows, and polls while the run goes on."""
        try:
            console = (self.folder / "console.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            console = ""
        report = self.folder / "report"
        return {
            "id": self.id,
            "target": self.target,
            "role": self.role,
            "transfers": list(self.transfers),
            "lang": self.lang,
            "command": shlex.join(["osokit", *self.argv[:-2]]) + " --out <run folder>/report",
            "state": self.state,
            "code": self.code,
            "verdict": VERDICTS.get(self.code, "ERROR") if self.code is not None else None,
            "note": self.note,
            "started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started)),
            "elapsed": round((self.finished or time.time()) - self.started, 1),
            "progress": self.progress(),
            "console": "\n".join(console.splitlines()[-CONSOLE_LINES:]),
            "reports": sorted(p.name for p in report.iterdir() if p.is_file()) if report.is_dir() else [],
        }


class RunManager:
    """Starts runs (one at a time), follows them, and lists them newest first."""

    kinds = KINDS
    roles = ROLES

    def __init__(self, root: Path, *, timeout: float = TIMEOUT, keep: int = KEEP) -> None:
        self.root, self.timeout, self.keep = root, timeout, keep
        self._lock = threading.Lock()
        self._running: Run | None = None
        self._follower: threading.Thread | None = None

    def current(self) -> Run | None:
        running = self._running
        return running if running is not None and running.state == "running" else None

    def get(self, run_id: str) -> Run | None:
        running = self._running
        if running is not None and running.id == run_id:
            return running
        return Run.load(self.root / run_id) if _ID.match(run_id) else None

    def list(self) -> list[Run]:
        if not self.root.is_dir():
            return []
        found = [self.get(p.name) for p in self.root.iterdir() if _ID.match(p.name)]
        return sorted((r for r in found if r is not None), key=lambda r: r.id, reverse=True)

    def start(self, request: dict[str, Any]) -> Run:
        """Check the request, then start ``osokit conformance run`` for it; RunError if it cannot."""
        target = str(request.get("target") or "").strip()
        role = request.get("role") or "both"
        kinds = request.get("transfers") or list(KINDS)
        lang = request.get("lang") or "en"
        if not _TARGET.match(target):
            raise RunError(
                f"target '{target[:80]}': use reference, mutant:<name> or the http(s) URL of the LAS's control API"
            )
        if role not in ROLES:
            raise RunError(f"role '{str(role)[:20]}': use one of {', '.join(ROLES)}")
        if not isinstance(kinds, list) or not kinds or not set(kinds) <= set(KINDS):
            raise RunError(f"transfers: choose one or more of {', '.join(KINDS)}")
        if lang not in LANGS:
            raise RunError(f"lang '{str(lang)[:20]}': use one of {', '.join(LANGS)}")
        with self._lock:
            if (running := self.current()) is not None:
                raise RunError(f"run {running.id} is still going: one run at a time", 409)
            self._prune()
            run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
            folder = self.root / run_id
            folder.mkdir(parents=True)
            ordered = tuple(k for k in KINDS if k in kinds)
            run = Run(run_id, target, role, ordered, time.time(), lang, folder=folder)
            run.save()
            env = os.environ | {
                "PYTEST_PLUGINS": ",".join(filter(None, [os.environ.get("PYTEST_PLUGINS"), "simulator.runprogress"])),
                "OSOKIT_PROGRESS": str(folder / "progress.jsonl"),
                "PYTHONUNBUFFERED": "1",
            }
            with (folder / "console.log").open("wb") as console:
                run.proc = subprocess.Popen(
                    [sys.executable, "-m", "osokit.cli", *run.argv],
                    stdout=console,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=folder,
                    env=env,
                    start_new_session=True,  # its own process group: stopped whole, with what it started
                )
            self._running = run
        self._follower = threading.Thread(target=self._follow, args=(run,), name=f"run-{run_id}", daemon=True)
        self._follower.start()
        return run

    def _follow(self, run: Run) -> None:
        assert run.proc is not None
        try:
            run.code = run.proc.wait(self.timeout)
        except subprocess.TimeoutExpired:
            _stop(run.proc)
            run.code, run.note = run.proc.returncode, f"stopped after {self.timeout:.0f} s"
        run.finished, run.state = time.time(), "finished"
        if run.code is not None and run.code < 0:
            run.note = run.note or f"ended by signal {-run.code}"
        run.save()

    def _prune(self) -> None:
        finished = [r for r in self.list() if r.state != "running"]
        for old in finished[self.keep - 1 :]:
            shutil.rmtree(old.folder, ignore_errors=True)

    def close(self) -> None:
        """Stop a run still going (the simulator is shutting down), and wait until it is saved."""
        run = self.current()
        if run is not None and run.proc is not None:
            run.note = "stopped: the simulator shut down"
            _stop(run.proc)
        if self._follower is not None:
            self._follower.join(15)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the run's process group, SIGKILL if it has not ended within ten seconds."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
