"""``osokit load run`` and ``osokit load replay``: locust, headless, around a simulator.

Locust does the load (its own processes with ``--processes``, its own CSV and HTML); this module
starts the simulator when asked, checks the target is a loopback osokit simulator, shows progress,
reads the run's summary and judges it: the SLO gate for a run, sent = acknowledged = stored for the
replay. Exit codes: 0 passed, 1 the SLO or the replay's counts failed, 2 the run could not start.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from load import slo
from oso.errors import UserError
from simulator.access import client_headers
from simulator.connections import PER_CLIENT

HERE = Path(__file__).parent
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
PASSED, FAILED, SETUP_ERROR = 0, 1, 2


class LoadError(UserError):
    """The run cannot start or finish: one line, what and how to fix it (exit code 2)."""


def seconds(text: str) -> float:
    """``90``, ``90s``, ``5m``, ``1h30m`` -> seconds."""
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", text.strip())
    if not text.strip() or not parts or not any(parts.groups()):
        raise LoadError(f"--duration {text!r}: write e.g. 90s, 5m or 1h30m")
    h, m, s = (int(x or 0) for x in parts.groups())
    return float(h * 3600 + m * 60 + s)


def check_target(url: str) -> str:
    """The base URL of a loopback osokit simulator, or LoadError saying why not."""
    url = url.rstrip("/").removesuffix("/tc")
    if urlsplit(url).hostname not in LOOPBACK:
        raise LoadError(f"--target {url}: load runs target only loopback addresses (127.0.0.1 or ::1)")
    try:
        with httpx.Client(base_url=url, timeout=10, headers=client_headers()) as http:
            healthy = http.get("/healthz").status_code == 200
            cohort = http.get("/admin/cohort", params={"limit": 1})
    except httpx.HTTPError as exc:
        raise LoadError(
            f"--target {url}: no simulator answers there ({type(exc).__name__}: {exc}); "
            "start one with `osokit serve` or use --start-simulator"
        ) from None
    if not healthy or cohort.status_code != 200:
        raise LoadError(f"--target {url}: not an osokit simulator (no /healthz or /admin/cohort)")
    return url


@dataclass
class Simulator:
    """``osokit serve`` as a child process for one run, on ``port`` (0: a free one)."""

    data_dir: Path
    args: list[str] = field(default_factory=list)
    url: str = ""
    process: subprocess.Popen[str] | None = None
    port: int = 0
    token: str | None = None  # an admin token for it (its data dir keeps the file), so it is guarded anywhere

    def start(self) -> None:
        """Launch without waiting, so several simulators can build their cohorts at once."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "serve.log").open("w", encoding="utf-8")
        guarded = []
        if self.token:
            token_file = self.data_dir / "admin.token"
            token_file.touch(mode=0o600)
            token_file.write_text(self.token, encoding="utf-8")
            guarded = ["--admin-token-file", str(token_file)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "osokit.cli", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
            + guarded
            + self.args,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )

    def __enter__(self) -> Simulator:
        if self.process is None:
            self.start()
        deadline = time.monotonic() + 300
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            found = re.search(r"listening on (\S+)", line)
            if found:
                self.url = found.group(1)
                break
            if time.monotonic() > deadline:
                break
        if not self.url:
            self.__exit__()
            raise LoadError(f"the simulator did not start; see {self.data_dir / 'serve.log'}")
        return self

    def __exit__(self, *_: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def locust_command(
    locustfile: Path,
    host: str,
    out: Path,
    *,
    users: int,
    spawn_rate: float,
    duration: float,
    processes: int,
    extra: list[str],
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "--host",
        host,
        "-u",
        str(users),
        "-r",
        str(spawn_rate),
        "-t",
        f"{int(duration)}s",
        "--only-summary",
        "--csv",
        str(out / "locust"),
        "--html",
        str(out / "locust.html"),
        "--oso-summary",
        str(out / "summary.json"),
        "--exit-code-on-error",
        "0",
        "--stop-timeout",
        "10",
    ]
    if processes > 1:
        command += ["--processes", str(processes)]
    return command + extra


def run_locust(command: list[str], out: Path, duration: float, label: str, total: int = 0) -> dict[str, Any]:
    """Locust in a child process, a progress line while it runs (against ``total`` requests when the run
    is a fixed amount of work, else against the duration); the summary it wrote."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("summary.json", "slo.json", "locust_stats_history.csv"):
        (out / stale).unlink(missing_ok=True)
    with (out / "locust.log").open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])},
        )
        started = time.monotonic()
        try:
            with _progress(label, duration, total) as show:
                while process.poll() is None:
                    show(time.monotonic() - started, _requests_so_far(out))
                    time.sleep(1)
                    if time.monotonic() - started > duration + 120:
                        process.terminate()
        finally:
            if process.poll() is None:  # interrupted: locust writes its reports on SIGTERM, then goes
                process.terminate()
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
    summary = out / "summary.json"
    if not summary.exists():
        tail = (out / "locust.log").read_text(encoding="utf-8", errors="replace")[-1500:]
        raise LoadError(f"locust ended (exit code {process.returncode}) without a summary; its log says:\n{tail}")
    return json.loads(summary.read_text(encoding="utf-8"))


def _requests_so_far(out: Path) -> int:
    history = out / "locust_stats_history.csv"
    try:
        rows = list(csv.DictReader(history.open(encoding="utf-8")))
    except (OSError, csv.Error):
        return 0
    aggregated = [r for r in rows if r.get("Name") == "Aggregated"]
    return int(float(aggregated[-1].get("Total Request Count") or 0)) if aggregated else 0


@contextlib.contextmanager
def _progress(label: str, duration: float, total: int = 0) -> Iterator[Any]:
    tty = sys.stderr.isatty()
    last = [-10.0]

    def show(elapsed: float, requests: int) -> None:
        if not tty and elapsed - last[0] < 10:
            return
        last[0] = elapsed
        done = min(requests / total if total else elapsed / duration if duration else 0, 1.0)
        bar = "#" * int(30 * done) + "." * (30 - int(30 * done))
        if total:
            rate = requests / elapsed if elapsed else 0
            line = f"{label} [{bar}] {requests:,}/{total:,}  {elapsed:5.0f} s  {rate:,.0f}/s"
        else:
            line = f"{label} [{bar}] {elapsed:5.0f}/{duration:.0f} s  {requests:,} requests"
        sys.stderr.write(("\r" + line) if tty else line + "\n")
        sys.stderr.flush()

    yield show
    if tty:
        sys.stderr.write("\n")


def describe(summary: dict[str, Any]) -> list[str]:
    s = summary["soap"]
    lines = [
        f"{'SOAP requests':<28} {s['requests']:>9,} ({s['rps']:,.0f}/s)  p50 {s['p50_ms']:,.0f} ms  "
        f"p99 {s['p99_ms']:,.0f} ms  failures {s['failures']:,}  conformance failures "
        f"{summary['conformance_failures']:,}"
    ]
    for name, f in sorted(summary.get("flows", {}).items()):
        lines.append(
            f"{name:<28.28} {f['requests']:>9,} ({f['rps']:,.1f}/s)  p50 {f['p50_ms']:,.0f} ms  "
            f"p99 {f['p99_ms']:,.0f} ms  failures {f['failures']:,}"
        )
    for what, count in list(summary.get("failures", {}).items())[:10]:
        lines.append(f"  failure x{count}: {what[:200]}")
    return lines


def gate(objectives: list[slo.Objective], summary: dict[str, Any], out: Path) -> tuple[bool, list[str]]:
    verdicts = slo.evaluate(objectives, summary)
    (out / "slo.json").write_text(
        json.dumps(
            [{"objective": o.text, "measured": m if m == m else None, "holds": ok} for o, m, ok in verdicts], indent=1
        ),
        encoding="utf-8",
    )
    lines = [f"SLO {o.text:<22} measured {o.show(m):>12}  {'ok' if ok else 'BREACHED'}" for o, m, ok in verdicts]
    return all(ok for _, _, ok in verdicts), lines


# --- the two commands ---------------------------------------------------------------------------------


@dataclass
class LoadRun:
    shape: str = "steady"
    users: int = 20
    duration: float = 60.0
    out: Path = Path("out/load")
    target: str | None = None
    start_simulator: bool = False
    slo_spec: str | None = None
    processes: int = 1
    spawn_rate: float | None = None
    faults: Path | None = None
    cohort: int = 10_000
    user_classes: tuple[str, ...] = ()
    seed: int = 0
    max_requests: int = 2_000_000
    port: int = 0  # with start_simulator: the simulator's (0: a free one)


def load_run(r: LoadRun) -> int:
    objectives = slo.parse(r.slo_spec) if r.slo_spec else []
    if (r.target is None) == (not r.start_simulator):
        raise LoadError("give --target URL (a running simulator) or --start-simulator, not both or neither")
    r.out.mkdir(parents=True, exist_ok=True)
    with _simulator_for(r) as url:
        extra = [
            "--oso-shape",
            r.shape,
            "--oso-seed",
            str(r.seed),
            "--oso-max-requests",
            str(r.max_requests),
            *r.user_classes,
        ]
        command = locust_command(
            HERE / "locustfile.py",
            url,
            r.out,
            users=r.users,
            spawn_rate=r.spawn_rate or max(1.0, r.users / 5),
            duration=r.duration,
            processes=r.processes,
            extra=extra,
        )
        print(
            f"load: {r.shape}, {r.users} users at the peak, {r.duration:.0f} s, {r.processes} process(es), "
            f"against {url}",
            file=sys.stderr,
        )
        summary = run_locust(command, r.out, r.duration, f"load {r.shape}")
    print("\n".join(describe(summary)))
    ok = True
    if objectives:
        ok, lines = gate(objectives, summary, r.out)
        print("\n".join(lines))
        print(f"SLO: {'PASS' if ok else 'FAIL'}")
    print(
        f"reports: {r.out / 'locust.html'}, {r.out / 'locust_stats.csv'}, {r.out / 'summary.json'}"
        + (f", {r.out / 'slo.json'}" if objectives else "")
    )
    return PASSED if ok else FAILED


def _connections_for(users: int) -> list[str]:
    """All users connect from loopback, one address: let them all in (a user may hold two connections)."""
    return ["--max-connections-per-client", str(max(PER_CLIENT, 2 * users))]


@contextlib.contextmanager
def _simulator_for(r: LoadRun) -> Iterator[str]:
    if r.target:
        yield check_target(r.target)
        return
    args = ["--cohort", f"povo={r.cohort}", "--evidence-bodies", "100", *_connections_for(r.users)]
    if r.faults:
        if not r.faults.is_file():
            raise LoadError(f"--faults {r.faults}: no such file")
        args += ["--faults", str(r.faults)]
    print(f"starting a simulator ({r.cohort:,} povo pupils) in {r.out / 'simulator'} ...", file=sys.stderr)
    with Simulator(r.out / "simulator", args, port=r.port) as sim:
        yield check_target(sim.url)


@dataclass
class Replay:
    cohort: int = 185_000
    processes: int = 1
    users: int = 0  # concurrent transfers; 0: two per shard (enough to keep each busy, few enough for latency)
    out: Path = Path("out/replay")
    max_duration: float = 7200.0
    shards: int = 0  # simulator instances; 0: one per CPU core
    port: int = 0  # shard k listens on port + k (0: free ports)


def replay(r: Replay) -> int:
    """Every pupil once through the simulator; sent = acknowledged = stored, or exit 1.

    The simulator is one event loop on one core; to use the machine it runs as ``shards``
    instances, each a whole broker with its own data dir and the same cohort, and pupil ``i`` goes
    to shard ``i % shards``. The counts are summed over the shards.
    """
    shards = r.shards or max(1, os.cpu_count() or 1)
    users = r.users or 2 * shards
    r.out.mkdir(parents=True, exist_ok=True)
    args = ["--cohort", f"povo={r.cohort}", "--evidence-bodies", "1000", *_connections_for(users)]
    args += [a for other in ("popo", "vovo", "binnenbrin") for a in ("--cohort", f"{other}=0")]
    print(f"starting {shards} simulator(s) with {r.cohort:,} povo pupils in {r.out} ...", file=sys.stderr)
    started_sim = time.monotonic()
    with contextlib.ExitStack() as stack:
        sims = [Simulator(r.out / f"simulator-{k}", args, port=r.port + k if r.port else 0) for k in range(shards)]
        for sim in sims:
            stack.callback(sim.__exit__)
            sim.start()
        urls = [check_target(sim.__enter__().url) for sim in sims]
        pids = [sim.process.pid if sim.process else 0 for sim in sims]
        before = sum(_rss_kb(pid) for pid in pids)
        cpu_before = sum(_cpu_s(pid) for pid in pids)
        print(
            f"simulator(s) ready in {time.monotonic() - started_sim:.1f} s (RSS {before / 1024:,.0f} MB); "
            f"replaying with {r.processes} locust process(es), {users} users",
            file=sys.stderr,
        )
        extra = ["--oso-workers", str(r.processes), "--oso-limit", str(r.cohort), "--oso-shards", ",".join(urls)]
        command = locust_command(
            HERE / "replay.py",
            urls[0],
            r.out,
            users=users,
            spawn_rate=users,
            duration=r.max_duration,
            processes=r.processes,
            extra=extra,
        )
        started = time.monotonic()
        summary = run_locust(command, r.out, r.max_duration, "replay", total=r.cohort)
        wall = time.monotonic() - started
        peak = sum(_rss_kb(pid, "VmHWM") for pid in pids)
        cpu = sum(_cpu_s(pid) for pid in pids) - cpu_before
        per_shard = []
        for url in urls:
            with httpx.Client(base_url=url, timeout=120, headers=client_headers()) as http:
                per_shard.append(http.get("/admin/stats").json())
    stats = _summed(per_shard)
    s = summary["soap"]
    sent, acknowledged = s["requests"], s["requests"] - s["failures"]
    geslaagd_sessions = stats["resultaten"].get("OverdrachtGeslaagd", 0)
    stored = min(stats["imported_pupils"], stats["transfer_results"].get("OverdrachtGeslaagd", 0), geslaagd_sessions)
    lost = acknowledged - stored
    figures = {
        "pupils": r.cohort,
        "wall_s": round(wall, 1),
        "transfers_per_s": round(acknowledged / wall, 1),
        "p50_ms": s["p50_ms"],
        "p99_ms": s["p99_ms"],
        "sent": sent,
        "acknowledged": acknowledged,
        "stored": stored,
        "lost": lost,
        "simulator_rss_mb": round(before / 1024),
        "simulator_peak_rss_mb": round(peak / 1024),
        "simulator_cpu_ms_per_transfer": round(1000 * cpu / max(acknowledged, 1), 2),
        "processes": r.processes,
        "users": users,
        "shards": shards,
        "simulator": stats,
        "per_shard": per_shard,
    }
    (r.out / "replay.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    print(
        f"replayed {acknowledged:,} of {r.cohort:,} pupils in {wall / 60:.1f} min ({acknowledged / wall:,.0f} "
        f"transfers/s) over {shards} simulator shard(s), p50 {s['p50_ms']:,.0f} ms, p99 {s['p99_ms']:,.0f} ms"
    )
    print(
        f"sent {sent:,} = acknowledged {acknowledged:,} = stored {stored:,}: lost {lost:,}; simulator RSS "
        f"{before / 1024:,.0f} MB -> peak {peak / 1024:,.0f} MB; simulator CPU "
        f"{figures['simulator_cpu_ms_per_transfer']} ms per transfer"
    )
    for what, count in list(summary.get("failures", {}).items())[:10]:
        print(f"  failure x{count}: {what[:200]}")
    print(f"details: {r.out / 'replay.json'}, {r.out / 'locust.html'}")
    complete = sent == acknowledged == stored == r.cohort
    return PASSED if complete else FAILED


def _summed(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The shards' ``/admin/stats`` added up, counter by counter."""
    total: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, dict):
                total[key] = _summed([total.get(key, {}), value])
            elif isinstance(value, int | float):
                total[key] = total.get(key, 0) + value
    return total


def _rss_kb(pid: int, field_name: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used: a cost per transfer that the machine's noise
    does not move the way wall time does."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0
