"""``osokit load capacity``: how many transfers a second a vendor's LAS sustains, as bron and as doel,
beside what the spring intake peak needs of it.

The run starts its own simulator (the Traffic Center and the counterpart schools), registers the
vendor's schools in it from the control API (``conformance/control-api.yaml``, through the
conformance suite's adapter), and per role runs locust (``load/capacityfile.py``: one process, or a
master with workers here and on other machines) stepping the offered load up until the SLO breaks.
Meanwhile it samples the CPU of the simulator and of its own locust processes, so it can say when
they, not the LAS, limited the figure. Afterwards it adds what only the simulator saw (sessions a
bron answered without a sessiecontrole, sessions a doel left open), judges every step again
(``load/knee.py``), puts the knee beside the demand (``load/demand.py``) and writes capacity.json
and capacity.html (``load/report.py``). Exit codes: 0 every role has headroom, 1 one has not, 2 the
run could not start.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance.adapter import AdapterError, HttpAdapter, VendorInfo, control_headers
from load import knee, slo
from load.demand import Demand
from load.plan import Plan
from load.report import role_document, write
from load.run import HERE, LoadError, Simulator, _cpu_s, _progress, _requests_so_far
from simulator.access import client_headers
from simulator.server import is_loopback

DEFAULT_SLO = "p99<250ms,errors=0,conformance=0"
LOCUSTFILE = HERE / "capacityfile.py"
OPEN_STATES = ("aangevraagd", "gecontroleerd")
BUSY = 0.85  # a process using this share of a core (or the machine of all its cores) may be what limits
SETTLE_S = 60  # doel: how long to wait for the LAS to finish collective requests cut off at the end anyway
# how long a user stopped at the end may finish its task: a doel school its intake (cutting a collective
# request off would leave the LAS a session open that is the run's doing, not the LAS's)
STOP_TIMEOUT_S = {"bron": "5", "doel": "300"}
FEW = 100  # requests below which a step's p99 is little more than its slowest request
PASSED, FAILED = 0, 1


@dataclass
class CapacityRun:
    target: str
    role: str = "both"
    out: Path = Path("out/capacity")
    slo_spec: str = DEFAULT_SLO
    max_rate: float = 200.0
    step_s: float = 30.0
    schools: int | None = None
    share: float | None = None
    processes: int = 1  # locust workers in all; 1 (and no remote ones): one process, no master
    remote_workers: int = 0  # of those, on other machines (`osokit load worker --master HOST:PORT`)
    host: str = "127.0.0.1"  # where the simulator and locust's master listen
    ports: tuple[int, int] = (0, 0)  # the simulator's and the master's (0: a free one)
    allow_remote: bool = False
    pupils: int = 100  # bron: pupils the LAS prepares
    batch: int = 0  # doel: pupils per intake (0: drawn, 40 to 240)
    cohort: int = 5_000  # doel: pupils of the simulator's po schools
    faults: Path | None = None
    seed: int = 0
    control_token_file: Path | None = None  # what the vendor's control API asks for, if anything
    command: str = ""

    @property
    def roles(self) -> tuple[str, ...]:
        return knee.ROLES if self.role == "both" else (self.role,)

    @property
    def distributed(self) -> bool:
        return self.processes > 1 or self.remote_workers > 0


def check_remote(what: str, url_or_host: str, allow_remote: bool) -> None:
    host = urlsplit(url_or_host).hostname if "//" in url_or_host else url_or_host
    if not allow_remote and not is_loopback(host or ""):
        raise LoadError(f"{what} {url_or_host} is not a loopback address; add --allow-remote to test a LAS elsewhere")


def capacity(r: CapacityRun) -> int:
    objectives = slo.parse(r.slo_spec)
    check_remote("--target", r.target, r.allow_remote)
    check_remote("--host", r.host, r.allow_remote)
    r.out.mkdir(parents=True, exist_ok=True)
    for role in r.roles:
        Demand.of(role, schools=r.schools, share=r.share)  # a --schools that does not fit, before anything starts
    try:
        adapter = HttpAdapter(r.target.rstrip("/"), timeout=300, headers=control_headers(r.control_token_file))
        vendor = adapter.info()
    except AdapterError as exc:
        raise LoadError(f"--target {r.target}: {exc}") from None
    started = datetime.now().astimezone()
    with _simulator(r) as sim, _Sampler(sim.process.pid if sim.process else 0) as sampler:
        admin = httpx.Client(base_url=sim.url, timeout=120, headers=client_headers(sim.token))
        _register(admin, vendor)
        scheme = admin.get("/admin/zoeksleutel/scheme").json()
        try:
            adapter.setup(f"{sim.url}/tc", scheme["scheme"], scheme["key"])
            adapter.reset()
        except AdapterError as exc:
            raise LoadError(f"--target {r.target}: {exc}") from None
        roles = {}
        for role in r.roles:
            context = _Context(
                r,
                sim.url,
                sim.token or "",
                admin,
                adapter,
                vendor,
                objectives,
                Demand.of(role, schools=r.schools, share=r.share),
                sampler,
            )
            roles[role] = RUNS[role](context)
    document = {
        "schema": "osokit-capacity/1",
        "run": {
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": r.command,
            "target": r.target,
            "vendor": vendor.vendor,
            "slo": r.slo_spec,
            "step_s": r.step_s,
            "max_rate": r.max_rate,
            "processes": r.processes,
            "remote_workers": r.remote_workers,
            "simulator": {"url": sim.url, "faults": r.faults.stem if r.faults else None},
            "cores": os.cpu_count() or 1,
        },
        "roles": roles,
    }
    paths = write(document, r.out)
    print(f"reports: {paths['json']}, {paths['html']}")
    for role, result in roles.items():
        for warning in result["warnings"]:
            print(f"warning: {role}: {warning}")
    for role, result in roles.items():
        print(headline(role, result, r.slo_spec))
    return PASSED if all(result["headroom"] >= 1 for result in roles.values()) else FAILED


def headline(role: str, result: dict[str, Any], spec: str) -> str:
    k = result["knee"]
    return (
        f"capacity: {role} sustains {k['sustainable_per_s']:,.1f} transfers/s at p99 {k['p99_ms']:,.0f} ms "
        f"(SLO {spec}); needed at the national peak: {result['demand']['needed_per_s']:,.2f}/s; "
        f"headroom {result['headroom']:,.1f}"
    )


# --- the simulator and what it was told --------------------------------------------------------------


@contextlib.contextmanager
def _simulator(r: CapacityRun) -> Iterator[Simulator]:
    cohort = r.cohort if "doel" in r.roles else 0
    args = ["--host", r.host, "--evidence-bodies", "100"]
    args += ["--max-connections-per-client", "0", "--cohort", f"povo={cohort}"]
    args += [a for other in ("popo", "vovo", "binnenbrin") for a in ("--cohort", f"{other}=0")]
    args += ["--allow-remote"] * r.allow_remote
    print(f"starting a simulator on {r.host} in {r.out / 'simulator'} ...", file=sys.stderr)
    with Simulator(r.out / "simulator", args, port=r.ports[0], token=secrets.token_urlsafe(32)) as sim:
        yield sim


def _register(admin: httpx.Client, v: VendorInfo) -> None:
    """The vendor and its schools in the simulator's register, from its control API's /info."""
    admin.post("/admin/register", json={"kind": "vendor", "id": v.vendor, "name": v.name, "number": 90})
    known = {s["brin"] for s in admin.get("/admin/register").json()["schools"]}
    for sector, school in [*v.doel.items(), *v.bron.items()]:
        if school.brin not in known:
            known.add(school.brin)
            change = {
                "kind": "school",
                "brin": school.brin,
                "sector": sector,
                "vendor": v.vendor,
                "name": v.name,
                "endpoints": [{"routeringskenmerk": school.routeringskenmerk, "url": school.url}],
            }
            admin.post("/admin/register", json=change).raise_for_status()


# --- CPU, sampled while locust runs ---------------------------------------------------------------------


class _Sampler(threading.Thread):
    """Every second: the simulator's CPU seconds, those of this run's locust processes, the machine's."""

    def __init__(self, simulator_pid: int) -> None:
        super().__init__(name="osokit-cpu", daemon=True)
        self.simulator_pid = simulator_pid
        self.locust_pids: list[int] = []
        self.samples: list[tuple[float, float, list[float], float, float]] = []
        self.stopping = threading.Event()

    def __enter__(self) -> _Sampler:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        self.join(5)

    def run(self) -> None:
        while not self.stopping.is_set():
            busy, total = _machine()
            pids = list(self.locust_pids)
            self.samples.append((time.time(), _cpu_s(self.simulator_pid), [_cpu_s(p) for p in pids], busy, total))
            self.stopping.wait(1)

    def between(self, start: float, end: float) -> dict[str, float]:
        """Cores used from ``start`` to ``end``: the simulator, the busiest locust process, the machine (0..1).

        Over the samples that bracket the step (the last one before it to the first one after it), so a
        short step on a busy machine, whose sampler woke fewer than twice inside it, still has figures."""
        samples = list(self.samples)
        before = [x for x in samples if x[0] <= start] or samples[:1]
        after = [x for x in samples if x[0] >= end] or samples[-1:]
        if not before or not after or after[0][0] <= before[-1][0]:
            return {}
        (t0, sim0, gen0, busy0, total0), (t1, sim1, gen1, busy1, total1) = before[-1], after[0]
        gens = [b - a for a, b in zip(gen0, gen1, strict=False)] or [0.0]
        return {
            "simulator_cores": round((sim1 - sim0) / (t1 - t0), 3),
            "generator_cores": round(max(gens) / (t1 - t0), 3),
            "machine_busy": round((busy1 - busy0) / max(total1 - total0, 1), 3),
        }


def _machine() -> tuple[float, float]:
    """The machine's busy and total jiffies (all cores), from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0, 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return float(sum(fields) - idle), float(sum(fields))


# --- locust: one process, or a master with workers ---------------------------------------------------------


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _locust(r: CapacityRun, plan: Plan, out: Path, sampler: _Sampler) -> list[knee.Step]:
    """Locust over ``plan``; the steps it wrote."""
    out.mkdir(parents=True, exist_ok=True)
    steps_file = Path(plan.out)
    steps_file.unlink(missing_ok=True)
    base = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE)]
    stop = STOP_TIMEOUT_S[plan.role]
    master = base + ["--headless", "--host", plan.simulator, "--oso-plan", plan.to_json(), "--stop-timeout", stop]
    master += ["--csv", str(out / "locust"), "--html", str(out / "locust.html"), "--exit-code-on-error", "0"]
    master += ["--only-summary"]
    workers: list[list[str]] = []
    if r.distributed:
        port = r.ports[1] or _free_port(r.host)
        master += ["--master", "--expect-workers", str(r.processes), "--master-bind-host", r.host]
        master += ["--master-bind-port", str(port)]
        local = r.processes - r.remote_workers
        workers = [base + ["--worker", "--master-host", r.host, "--master-port", str(port)]] * local
        if r.remote_workers:
            print(
                f"waiting for {r.remote_workers} worker(s) from other machines: "
                f"osokit load worker --master {r.host}:{port}",
                file=sys.stderr,
            )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    bound = len(plan.rates) * (plan.step_s + plan.settle_s) + 600 + (600 if r.remote_workers else 0)
    with contextlib.ExitStack() as stack:
        log = stack.enter_context((out / "locust.log").open("w", encoding="utf-8"))
        processes = [subprocess.Popen(master, stdout=log, stderr=subprocess.STDOUT, env=env)]
        for n, command in enumerate(workers):
            worker_log = stack.enter_context((out / f"worker-{n}.log").open("w", encoding="utf-8"))
            processes.append(subprocess.Popen(command, stdout=worker_log, stderr=subprocess.STDOUT, env=env))
        stack.callback(_stop, processes)
        sampler.locust_pids = [p.pid for p in processes]
        started = time.monotonic()
        with _progress(f"capacity {plan.role}", len(plan.rates) * plan.step_s) as show:
            while processes[0].poll() is None:
                show(time.monotonic() - started, _requests_so_far(out))
                time.sleep(1)
                if time.monotonic() - started > bound:
                    processes[0].terminate()
    if not steps_file.exists():
        tail = (out / "locust.log").read_text(encoding="utf-8", errors="replace")[-1500:]
        raise LoadError(f"locust ended (exit code {processes[0].returncode}) without its steps; its log says:\n{tail}")
    return [knee.Step.from_dict(s) for s in json.loads(steps_file.read_text(encoding="utf-8"))]


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for p in processes:
        if p.poll() is None:
            p.terminate()
    for p in processes:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# --- the two roles ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What a role's run works with."""

    r: CapacityRun
    simulator: str
    token: str  # the simulator's admin token: the workers' admin calls need it too (it travels in the plan)
    admin: httpx.Client
    adapter: HttpAdapter
    vendor: VendorInfo
    objectives: list[slo.Objective]
    demand: Demand
    sampler: _Sampler


def _plan(c: _Context, role: str, **given: Any) -> Plan:
    return Plan(
        role=role,
        simulator=c.simulator,
        admin_token=c.token,
        target=c.r.target.rstrip("/"),
        rates=tuple(knee.ladder(role, c.r.max_rate)),
        step_s=c.r.step_s,
        max_rate=c.r.max_rate,
        slo=c.r.slo_spec,
        settle_s=4.0 if c.r.distributed else 1.0,
        sample_s=3.0 if c.r.distributed else 1.0,
        allow_remote=c.r.allow_remote,
        out=str(c.r.out / role / "steps.json"),
        seed=c.r.seed,
        **given,
    )


def _bron(c: _Context) -> dict[str, Any]:
    """The LAS as bron: it prepares ``--pupils`` pupils, simulated vo schools ask it for them."""
    from load.prepare import prepare_pupils

    r, admin, school = c.r, c.admin, c.vendor.bron["po"]
    print(f"bron: the LAS prepares {r.pupils} pupils at school {school.brin} ...", file=sys.stderr)
    pgns = prepare_pupils(c.adapter, c.vendor, school.brin, r.pupils, r.seed)
    keys = admin.post("/admin/zoeksleutel", json={"pgns": pgns}).json()["keys"]
    register = admin.get("/admin/register").json()["schools"]
    doel_schools = tuple(
        (s["brin"], s["endpoints"][0]["routeringskenmerk"])
        for s in register
        if s["sector"] == "vo" and s["vendor"] == "reference" and s.get("endpoints")
    )
    plan = _plan(
        c,
        "bron",
        pupils=tuple(zip(pgns, (k["zoeksleutel"] for k in keys), strict=True)),
        bron_brin=school.brin,
        doel_schools=doel_schools,
    )
    steps = _locust(r, plan, r.out / "bron", c.sampler)
    unchecked = _sessions(admin, steps, lambda s: s["bron_brin"] == school.brin)
    for step in steps:
        found = unchecked.get(step.index, {})
        skipped = found.get("answered_unchecked", 0)
        step.conformance += skipped
        if skipped:
            step.extra.setdefault("failures", {})["answered without a sessiecontrole at the TC"] = skipped
    extra = {"pupils_prepared": len(pgns), "bron_school": school.brin}
    return _result(c, "bron", steps, extra)


def _doel(c: _Context) -> dict[str, Any]:
    """The LAS as doel: simulated vo schools make it fetch their intake from the simulator's po schools."""
    r, admin, school = c.r, c.admin, c.vendor.doel["vo"]
    if r.faults:  # the simulator's schools and Traffic Center misbehave for the doel only
        admin.post("/admin/faults", json={"toml": r.faults.read_text(encoding="utf-8")}).raise_for_status()
    plan = _plan(c, "doel", doel_brin=school.brin, batch=r.batch)
    try:
        steps = _locust(r, plan, r.out / "doel", c.sampler)
    finally:
        admin.post("/admin/faults", json={})
    ours = lambda s: s["doel_brin"] == school.brin  # noqa: E731 - a filter, named once
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline and _open_sessions(admin, ours):
        time.sleep(1)  # collective requests cut off at the end still finish at the LAS
    sessions = _sessions(admin, steps, ours)
    for step in steps:
        found = sessions.get(step.index, {})
        step.extra["sessions"] = found
        step.conformance += found.get("left_open", 0)
        if found.get("left_open"):
            step.extra.setdefault("failures", {})["sessions never closed (no afmelding)"] = found["left_open"]
    extra = {
        "doel_school": school.brin,
        "sessions": _summed([s.extra.get("sessions", {}) for s in steps]),
        "batches": _batches(steps),
        "faults": r.faults.stem if r.faults else None,
    }
    return _result(c, "doel", steps, extra)


RUNS = {"bron": _bron, "doel": _doel}


def _open_sessions(admin: httpx.Client, ours: Any) -> int:
    return sum(
        1
        for state in OPEN_STATES
        for s in admin.get("/admin/sessions", params={"state": state, "limit": 10_000}).json()["sessions"]
        if ours(s)
    )


def _sessions(admin: httpx.Client, steps: list[knee.Step], ours: Any) -> dict[int, dict[str, Any]]:
    """What the simulator's Traffic Center saw of each step's sessions (by the moment they were opened)."""
    if not steps:
        return {}
    offset = float(admin.get("/admin/clock").json()["offset_seconds"])
    found: dict[int, dict[str, Any]] = {}
    offset_n, first = 0, steps[0].start
    while True:
        page = admin.get("/admin/sessions", params={"limit": 10_000, "offset": offset_n}).json()["sessions"]
        for s in page:
            at = datetime.fromisoformat(s["created"]).timestamp() - offset
            step = next((st for st in reversed(steps) if st.start <= at), None)  # opened in it, or after the last
            if step is None or not ours(s):
                continue
            tally = found.setdefault(step.index, {"opened": 0, "closed": 0, "left_open": 0, "results": {}})
            tally["opened"] += 1
            if s["state"] == "afgemeld":
                tally["closed"] += 1
                tally["results"][s["resultaat"]] = tally["results"].get(s["resultaat"], 0) + 1
                if s["resultaat"] == "OverdrachtGeslaagd" and not s["controles"]:
                    tally["answered_unchecked"] = tally.get("answered_unchecked", 0) + 1
            elif s["state"] in OPEN_STATES:
                tally["left_open"] += 1
        if len(page) < 10_000 or (page and datetime.fromisoformat(page[-1]["created"]).timestamp() - offset < first):
            return found
        offset_n += len(page)


def _summed(parts: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            total[key] = _summed([total.get(key, {}), value]) if isinstance(value, dict) else total.get(key, 0) + value
    return total


def _batches(steps: list[knee.Step]) -> dict[str, Any]:
    """Intakes (a vo school's batch) over the whole run: how many, and how long the slowest took."""
    rows = [
        s.extra.get("requests", {}).get(f"FLOW {kind}", {}) for s in steps for kind in ("intake", "re-request intake")
    ]
    return {
        "intakes": sum(r.get("requests", 0) for r in rows),
        "failed": sum(r.get("failures", 0) for r in rows),
        "p99_s_worst_step": round(max((r.get("p99_ms", 0) for r in rows), default=0) / 1000, 2),
    }


def _result(c: _Context, role: str, steps: list[knee.Step], extra: dict[str, Any]) -> dict[str, Any]:
    """Judge the steps again with everything known now; the knee, the headroom and the warnings."""
    for step in steps:
        step.extra.update(c.sampler.between(step.start, step.end))
    knee.judge_all(role, steps, c.objectives)
    found = knee.knee(steps)
    warnings = _warnings(role, steps, found, c.r)
    for step in steps:
        verdict = "holds" if step.holds else "BREAKS: " + "; ".join(step.breaches)
        print(
            f"{role} step {step.index:2d}: {step.offered:>6g} {knee.UNITS[role]:<15} {step.throughput:8.1f} "
            f"transfers/s  p50 {step.p50_ms:6.0f}  p95 {step.p95_ms:6.0f}  p99 {step.p99_ms:6.0f} ms  errors "
            f"{step.errors}  conformance {step.conformance}  simulator CPU "
            f"{step.extra.get('simulator_cores', 0):.0%}  {verdict}",
            file=sys.stderr,
        )
    return role_document(role, steps, found, c.demand, warnings, extra)


def _warnings(role: str, steps: list[knee.Step], found: knee.Knee, r: CapacityRun) -> list[str]:
    """Where the figure may be the simulator's, the load generator's or the machine's, not the LAS's."""
    warnings = []
    stopped = steps[-1].extra.get("stopped_on") if steps else None
    if found.broke is None:
        top = steps[-1].offered if steps else 0
        why = "raise --max-rate to find it"
        if stopped and not stopped[0].startswith("reached"):
            why = (
                f"the run stopped there on the figures it had then ({'; '.join(stopped)}), which with all its "
                "figures hold: a longer --step-duration gives steadier ones"
            )
        warnings.append(f"no knee up to {top:g} {knee.UNITS[role]}: the LAS sustains at least this; {why}")
    limiting = found.broke or (steps[-1] if steps else None)
    if limiting is None:
        return warnings
    if limiting.requests < FEW and any("p99" in b or "p95" in b for b in limiting.breaches):
        warnings.append(
            f"step {limiting.index} had {limiting.requests} requests: its p99 is about its slowest one; "
            "a longer --step-duration gives percentiles that mean more"
        )
    cpu = limiting.extra
    at = f"at step {limiting.index} ({limiting.offered:g} {knee.UNITS[role]})"
    if cpu.get("simulator_cores", 0) >= BUSY:
        warnings.append(
            f"the simulator used {cpu['simulator_cores']:.0%} of a core {at}: it, not the LAS, may limit this "
            "figure; give the simulator a machine (or core) of its own"
        )
    if cpu.get("generator_cores", 0) >= BUSY:
        warnings.append(
            f"a locust process used {cpu['generator_cores']:.0%} of a core {at}: the load generator may limit this "
            "figure; use --processes (and workers on other machines)"
        )
    if cpu.get("machine_busy", 0) >= BUSY:
        warnings.append(
            f"this machine's {os.cpu_count()} core(s) were {cpu['machine_busy']:.0%} busy {at}: when the LAS runs "
            "here too, the figure is a lower bound for it"
        )
    return warnings
