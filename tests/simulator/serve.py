"""A real `osokit serve` process for the tests that need one: to kill it, to restart it on the same data
dir, or to measure its memory from outside. Loopback only; every wait is bounded."""

from __future__ import annotations

import os
import resource
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

SMALL_COHORT_ARGS = ("--cohort", "povo=40", "--cohort", "popo=10", "--cohort", "vovo=10", "--cohort", "binnenbrin=10")


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    url: str
    stdout: Path
    stderr: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def memory_mib(self) -> tuple[float, float]:
        """(resident now, peak resident) of the server process, from /proc/<pid>/status."""
        fields = dict(
            line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines() if ":" in line
        )
        kib = [int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")]
        return kib[0] / 1024, kib[1] / 1024

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, nothing is flushed."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


def _limit_files(n: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


def start(
    data_dir: Path,
    *args: str,
    timeout: float = 60,
    healthy: bool = True,
    log_dir: Path | None = None,
    max_files: int | None = None,
    verify: ssl.SSLContext | bool = True,
) -> Served:
    """`python -m osokit.cli serve --port 0 --data-dir DATA_DIR [ARGS]`, once it answers /healthz
    (with 200; with any answer when not ``healthy``, as on a full disk). ``max_files``: the server's
    file-descriptor limit (RLIMIT_NOFILE); ``verify``: how to trust it with ``--tls`` (its test CA).

    Output goes to files in ``log_dir``, by default beside the data dir (a pipe nobody drains would block
    the server)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_dir = log_dir or data_dir.parent
    n = len(list(log_dir.glob(f"{data_dir.name}.*.out")))
    out, err = (log_dir / f"{data_dir.name}.{n}.{kind}" for kind in ("out", "err"))
    command = [sys.executable, "-m", "osokit.cli", "serve", "--port", "0", "--data-dir", str(data_dir), *args]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            command,
            stdout=stdout,
            stderr=stderr,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
            preexec_fn=None if max_files is None else lambda: _limit_files(max_files),
        )
    served = Served(proc, "", out, err)
    deadline = time.monotonic() + timeout
    while "listening on " not in out.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            served.kill()
            raise RuntimeError(f"osokit serve did not start: {served.output()[-2000:]}")
        time.sleep(0.02)
    served.url = out.read_text().split("listening on ", 1)[1].split()[0]
    while True:
        try:
            if httpx.get(f"{served.url}/healthz", timeout=1, verify=verify).status_code == 200 or not healthy:
                return served
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            served.kill()
            raise RuntimeError(f"osokit serve never answered /healthz: {served.output()[-2000:]}")
        time.sleep(0.02)
