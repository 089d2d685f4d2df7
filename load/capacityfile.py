"""The capacity run as a locustfile: simulated schools step the load on a vendor's LAS up until the SLO
breaks. ``osokit load capacity`` runs it and reads what it writes; ``osokit load worker`` adds
workers on other machines. Everything it needs comes in one option, ``--oso-plan`` (load/plan.py).

* bron: ``DoelSchool`` users are vo schools asking for the pupils the LAS prepared: a session at the
  simulator's Traffic Center, a documentRequest to each of the LAS's aanleverpunten (which must
  check the session there first), the afmelding. Paced, so that together they offer the step's
  transfers per second. Latency and errors are those of the documentRequests, at the vendor.
* doel: ``VoIntake`` users are vo schools whose intake the LAS must fetch: a collective request per
  po school (``POST /transfers`` of the control API), now and then the re-request of an earlier
  intake. Back to back: a step is the number of schools doing this at once.

``Steps`` (the shape, on the master or the one process) holds each offered load for the step's
duration and names every request by its step (``s03 bron document``), so that locust's own
statistics, merged over the workers, are per step; workers learn the step by a message. After a
step (and the time its last figures need to arrive) it judges the step (load/knee.py) and stops
after the first that does not hold. At the end it writes every step's figures to ``plan.out``.
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import logging
import random
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
import httpx
from locust import FastHttpUser, LoadTestShape, constant, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner, Runner, WorkerRunner
from locust.stats import calculate_response_time_percentile, diff_response_time_dicts

from load import checks, knee, slo
from load.plan import INTAKE, PER_BRON_SCHOOL, Plan
from load.world import LOOPBACK, PAGE, World
from oso import faults
from oso import transport as t
from oso.errors import OsokitError
from oso.exchange import Call
from oso.faults import OsoFault
from simulator.access import client_headers

log = logging.getLogger("osokit.capacity")
STEP = "osokit-step"
SIMULATOR = "simulator failed: "  # the start of a failure that is the simulator's, not the vendor's
RE_REQUEST = 1 / 3  # doel: the share of intakes that re-request an earlier one (update: true)
IMPORT_STEPS = ("personalia", "schoolloopbaan", "ondersteuning")  # when the LAS's /imports does not list its own
VENDOR = {"bron": ("bron document", "POST"), "doel": ("transfer", "FLOW")}  # what is measured at the vendor


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--oso-plan", default="", include_in_web_ui=False, help="the capacity run (JSON)")


class Refused(OsokitError):
    """A valid answer that is still a failure here: the bron refused a pupil it had prepared."""


def name(step: int, what: str) -> str:
    return f"s{step:02d} {what}"


# --- what every process shares: the plan and the step it is in ------------------------------------------


class Current:
    """The step this process is in, as the shape (or its message) last said."""

    index = 0
    pacing = 1.0


_pupil_turn = itertools.count()
_dossiers = itertools.count()
_world: World | None = None


@functools.cache
def _plan(text: str) -> Plan:
    return Plan.from_json(text)


def plan_of(environment: Any) -> Plan:
    return _plan(environment.parsed_options.oso_plan)


def _enter(environment: Any, msg: Any, **_: Any) -> None:
    Current.index, Current.pacing = msg.data["index"], msg.data["pacing"]


@events.init.add_listener
def _listen(environment: Any, **_: Any) -> None:
    if not isinstance(environment.runner, MasterRunner):  # a worker, or the one process of a local run
        environment.runner.register_message(STEP, _enter)


def allowed(plan: Plan, url: str) -> bool:
    """A URL a user may send to: loopback, or anything the TC hands out when the run allows remote hosts."""
    return urlsplit(url).hostname in LOOPBACK or plan.allow_remote


# --- bron: vo schools asking the LAS for the pupils it prepared -------------------------------------------


class DoelSchool(FastHttpUser):
    """A vo school's LAS doing full transfers of pupils the vendor's LAS prepared as bron."""

    def on_start(self) -> None:
        self.plan = plan_of(self.environment)
        self.rng = random.Random()
        gevent.sleep(self.rng.uniform(0, Current.pacing))  # spread the users over the pacing interval
        self.next_at = time.monotonic()

    def wait_time(self) -> float:
        """Paced: one transfer every ``Current.pacing`` seconds, however long the last one took (a user
        that fell behind catches up by at most one interval)."""
        now = time.monotonic()
        self.next_at = max(self.next_at + Current.pacing, now - Current.pacing)
        return max(0.0, self.next_at - now)

    def soap(self, step: int, url: str, request: object, expected: type, what: str, check: Any = None) -> Any:
        """One SOAP exchange of a transfer begun in ``step``; the typed answer, or None when it failed
        (marked in locust's statistics)."""
        if not allowed(self.plan, url):
            raise StopUser(f"{url} is not a loopback address: give --allow-remote to send there")
        call = Call.of(url, request)  # encoded with its headers as every osokit sender does; locust measures the POST
        with self.client.post(
            url,
            data=call.body,  # type: ignore[arg-type]  # locust types data as str | dict; bytes go out as they are
            headers=dict(call.headers),
            name=name(step, what),
            catch_response=True,
        ) as response:
            try:
                if response.status_code in (0, None):
                    raise checks.TransportError(response.error or "no answer")
                outcome = checks.answer(response.status_code, response.content or b"", expected)
                if check:
                    check(outcome)
            except (checks.ConformanceError, checks.TransportError, Refused) as exc:
                response.failure(f"{SIMULATOR}{exc}" if url.startswith(self.plan.simulator) else exc)
                return None
            response.success()
            return outcome

    def tc(self, step: int, request: object, expected: type, what: str) -> Any:
        def granted(outcome: object) -> None:
            if isinstance(outcome, OsoFault):
                raise Refused(f"the Traffic Center refused: {outcome.code}")

        return self.soap(step, f"{self.plan.simulator}/tc", request, expected, what, granted)

    @task
    def transfer(self) -> None:
        p, step, started = self.plan, Current.index, time.perf_counter()
        pgn, zoeksleutel = p.pupils[next(_pupil_turn) % len(p.pupils)]
        doel_brin, doel_rk = self.rng.choice(p.doel_schools)
        sleutel = t.ZoeksleutelPgnfrag(zoeksleutel=zoeksleutel)
        granted = self.tc(
            step,
            t.OverdrachtRequest(
                bron_brin=p.bron_brin,
                doel_brin=doel_brin,
                doel_rk=doel_rk,
                zoeksleutel_pgnfrag=sleutel,
                overdrachtsoort="overstapdossier",
            ),
            t.OverdrachtResponse,
            "TC overdracht",
        )
        if granted is None:
            return
        results = []
        for ap in granted.aanleverpunt:
            answer = self.soap(
                step,
                ap.url,
                t.DocumentRequest(
                    sessie_id=granted.sessie_id,
                    bron_brin=p.bron_brin,
                    bron_rk=ap.routeringskenmerk,
                    doel_brin=doel_brin,
                    doel_rk=doel_rk,
                    zoeksleutel_pgnfrag=sleutel,
                    overdrachtsoort="overstapdossier",
                ),
                t.DocumentResponse,
                "bron document",
                lambda outcome: self.served(outcome, pgn),
            )
            results.append((ap.routeringskenmerk, faults.GESLAAGD if answer else faults.AANLEVERPUNT_ONBEREIKBAAR))
        best = faults.best_result([r for _, r in results]) if results else faults.AANLEVERPUNT_ONBEREIKBAAR
        best_rk = next((rk for rk, r in reversed(results) if r == best), None)
        closed = self.tc(
            step,
            t.AfmeldingRequest(sessie_id=granted.sessie_id, bron_rk=best_rk, doel_rk=doel_rk, resultaat=best),
            t.AfmeldingResponse,
            "TC afmelding",
        )
        ok = closed is not None and best == faults.GESLAAGD
        _flow(step, "transfer", started, None if ok else f"ended {best}")

    def served(self, outcome: t.DocumentResponse | OsoFault, pgn: str) -> None:
        """The cheap checks on a bron's answer for a pupil it prepared: a dossier, of this pupil."""
        if isinstance(outcome, OsoFault):
            raise Refused(f"refused a pupil it had prepared: {outcome.code}")
        xml = str(outcome.dossier)
        every = self.plan.validate_every
        checks.dossier(xml, full=bool(every) and next(_dossiers) % every == 0)
        if pgn not in xml:
            raise checks.ConformanceError("the dossier served is not of the pupil the session is for")


def _flow(step: int, what: str, started: float, failure: str | None, ms: float | None = None) -> None:
    events.request.fire(
        request_type="FLOW",
        name=name(step, what),
        response_time=(time.perf_counter() - started) * 1000 if ms is None else ms,
        response_length=0,
        exception=Exception(failure) if failure else None,
        context={},
    )


# --- doel: vo schools making the LAS fetch their intake ------------------------------------------------------


class VoIntake(FastHttpUser):
    """A vo school whose LAS fetches its intake, one collective request per po school, intake after intake."""

    def on_start(self) -> None:
        global _world
        self.plan = plan_of(self.environment)
        self.rng = random.Random()
        if not allowed(self.plan, self.plan.target):
            raise StopUser(f"{self.plan.target} is not a loopback address: give --allow-remote")
        _world = _world or World(self.plan.simulator, self.plan.profile, self.plan.seed, self.plan.admin_token)
        self.fetched: collections.deque[list[tuple[str, list[str]]]] = collections.deque(maxlen=5)

    wait_time = constant(0)  # intake after intake: a step is how many schools do this at once

    def compose(self) -> list[tuple[str, list[str]]]:
        """An intake: pupils of several po schools of the simulator's cohort, at most PER_BRON_SCHOOL each."""
        assert _world is not None
        size = self.plan.batch or self.rng.randint(*INTAKE)
        intake: list[tuple[str, list[str]]] = []
        while (taken := sum(len(pgns) for _, pgns in intake)) < size:
            schools = collections.defaultdict(list)
            for pupil in _world.page(self.rng.randrange((_world.total + PAGE - 1) // PAGE)):
                schools[pupil["bron_brin"]].append(pupil["pgn"])
            for school in self.rng.sample(sorted(schools), len(schools)):
                count = min(PER_BRON_SCHOOL, size - taken, len(schools[school]))
                intake.append((school, self.rng.sample(schools[school], count)))
                taken += count
                if taken >= size:
                    break
        return intake

    @task
    def intake(self) -> None:
        step, started = Current.index, time.perf_counter()
        update = bool(self.fetched) and self.rng.random() < RE_REQUEST
        groups = self.rng.choice(self.fetched) if update else self.compose()
        ok = all([self.collective(step, bron, pgns, update) for bron, pgns in groups])
        _flow(step, "re-request intake" if update else "intake", started, None if ok else "not every transfer")
        if not update:
            self.fetched.append(groups)

    def collective(self, step: int, bron_brin: str, pgns: list[str], update: bool) -> bool:
        """One collective request; every pupil in it counts as a transfer that took its share of the time."""
        p, started = self.plan, time.perf_counter()
        body = {"doel_brin": p.doel_brin, "bron_brin": bron_brin, "pgns": pgns, "update": update}
        failure, transfers = None, []
        with self.client.post(
            f"{p.target}/transfers", json=body, name=name(step, "collective request"), catch_response=True
        ) as response:
            try:
                if response.status_code != 200:
                    raise checks.TransportError(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
                transfers = response.json()["transfers"]
                if len(transfers) != len(pgns):
                    raise checks.TransportError(f"{len(transfers)} transfers answered for {len(pgns)} pupils")
                response.success()
            except (checks.TransportError, ValueError, KeyError, TypeError) as exc:
                failure = str(exc)
                response.failure(failure)
        share = (time.perf_counter() - started) * 1000 / len(pgns)
        wanted = (faults.GESLAAGD, faults.GEEN_NIEUWER_DOSSIER) if update else (faults.GESLAAGD,)
        results = [str(tr.get("resultaat")) for tr in transfers] if transfers else [None] * len(pgns)
        for result in results:
            bad = failure or (None if result in wanted else f"ended {result}")
            _flow(step, "transfer", started, bad, ms=share)
        done = [pgn for pgn, result in zip(pgns, results, strict=True) if result == faults.GESLAAGD]
        if done:
            self.imports_check(step, done[0])
        return failure is None and all(r in wanted for r in results)

    def imports_check(self, step: int, pgn: str) -> None:
        """One pupil of each collective request: imported once (a re-request linked, not a second
        pupil), with every import step."""
        with self.client.post(
            f"{self.plan.target}/imports",
            json={"doel_brin": self.plan.doel_brin, "pgn": pgn},
            name=name(step, "imports check"),
            catch_response=True,
        ) as response:
            try:
                if response.status_code != 200:
                    raise checks.ConformanceError(
                        f"a pupil reported OverdrachtGeslaagd is not imported (HTTP {response.status_code})"
                    )
                data = response.json()
                missing = [
                    s for s in data.get("all_steps") or IMPORT_STEPS if not data["steps"].get(s, {}).get("times")
                ]
                if data["records"] != 1 or missing:
                    raise checks.ConformanceError(
                        f"imported as {data['records']} pupil record(s); "
                        f"import steps missing: {', '.join(missing) or 'none'}"
                    )
                response.success()
            except (checks.ConformanceError, ValueError, KeyError, TypeError, AttributeError) as exc:
                response.failure(exc)


# --- the shape: the steps, judged one by one -------------------------------------------------------------


_admin: httpx.Client | None = None


def closed_sessions(p: Plan) -> int:
    """Sessions the simulator's Traffic Center closed with a result a doel wants (as doel, the LAS's own)."""
    global _admin
    _admin = _admin or httpx.Client(base_url=p.simulator, timeout=60, headers=client_headers(p.admin_token))
    results = _admin.get("/admin/stats").json()["resultaten"]
    return sum(results.get(r, 0) for r in (faults.GESLAAGD, faults.GEEN_NIEUWER_DOSSIER))


class Steps(LoadTestShape):
    """The ladder of offered loads, ``plan.step_s`` each; stops after the first step that does not hold."""

    runner: Runner  # set by locust before the first tick (LoadTestShape says Runner | None)

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[knee.Step] = []
        self.judged = self.ended = 0  # steps judged, steps ended
        self.closed = 0  # doel: sessions the Traffic Center had closed when the last step ended
        self.samples: dict[int, tuple[float, int, dict[int, int]]] = {}

    def tick(self) -> tuple[int, float, list[type]] | None:
        p = plan_of(self.runner.environment)
        now = time.time()
        if self.runner.stats.total.num_requests >= p.max_requests:
            log.warning("reached the run's bound of %d requests: stopping", p.max_requests)
            return None
        if self.judged < self.ended and now >= self.steps[self.judged].end + self.settle(p):
            if not self._judge(p):
                return None
        if self.steps and self.ended < len(self.steps) and now >= self.steps[-1].end:
            self._end(p, now)
        if self.ended == len(self.steps):
            if len(self.steps) < len(p.rates):
                self._begin(p, now)
            elif self.judged == len(self.steps):
                return None
        self._sample(p, now)
        current = self.steps[-1]
        users = 0 if self.ended == len(p.rates) else current.users  # after the last step, only its judging is left
        return users, float(max(current.users, 1)), [DoelSchool if p.role == "bron" else VoIntake]

    def settle(self, p: Plan) -> float:
        """How long after a step its figures are in: as doel, also the slowest collective request so far
        (its pupils count when it ends), at most two minutes."""
        if p.role == "bron":
            return p.settle_s
        calls = [
            e.max_response_time or 0
            for e in self.runner.stats.entries.values()
            if e.name.endswith(" collective request")
        ]
        return p.settle_s + min(max(calls, default=0) / 1000, 120)

    def _begin(self, p: Plan, now: float) -> None:
        offered = p.rates[len(self.steps)]
        users, pacing = p.users(offered)
        step = knee.Step(len(self.steps), offered, users, now, now + p.step_s)
        if p.role == "doel":
            step.extra["tc_closed"] = [self.closed if self.steps else closed_sessions(p)]
        self.steps.append(step)
        self.runner.send_message(STEP, {"index": step.index, "pacing": pacing})
        log.info("step %d: %g %s (%d users)", step.index, offered, knee.UNITS[p.role], users)

    def _end(self, p: Plan, now: float) -> None:
        """The step lasted until now (the tick after its planned end); as doel, what the TC closed by now."""
        step = self.steps[-1]
        step.end, self.ended = now, self.ended + 1
        if p.role == "doel":
            self.closed = closed_sessions(p)
            step.extra["tc_closed"].append(self.closed)

    def _judge(self, p: Plan) -> bool:
        """Judge the next finished step; False: stop the run (it broke, or the LAS reached --max-rate)."""
        step = self.steps[self.judged]
        self.judged += 1
        figures(p.role, self.runner.stats, step)
        before = next((s for s in reversed(self.steps[: step.index]) if s.holds), None)
        step.breaches = knee.judge(p.role, step, slo.parse(p.slo) if p.slo else [], before)
        step.holds = not step.breaches
        log.info("step %d: %s", step.index, "holds" if step.holds else "; ".join(step.breaches))
        if not step.holds or (p.role == "doel" and step.throughput >= p.max_rate):
            step.extra["stopped_on"] = step.breaches or [f"reached --max-rate {p.max_rate:g}"]
            del self.steps[step.index + 1 :]  # the step begun while this one was judged is not one
            return False
        return True

    def _sample(self, p: Plan, now: float) -> None:
        """A point of the time series: the vendor's requests of the current step since the last sample."""
        step = self.steps[-1]
        entry = self.runner.stats.entries.get((name(step.index, VENDOR[p.role][0]), VENDOR[p.role][1]))
        if entry is None:
            return
        last = self.samples.get(step.index, (step.start, 0, {}))
        if now - last[0] < p.sample_s:
            return
        window = diff_response_time_dicts(entry.response_times, last[2])
        count = entry.num_requests - last[1]
        if count:
            step.series.append(
                {
                    "t": round(now - self.steps[0].start, 2),
                    "rps": round(count / (now - last[0]), 3),
                    "p50_ms": calculate_response_time_percentile(window, count, 0.5),
                    "p99_ms": calculate_response_time_percentile(window, count, 0.99),
                }
            )
        self.samples[step.index] = (now, entry.num_requests, dict(entry.response_times))


def figures(role: str, stats: Any, step: knee.Step) -> None:
    """The step's figures from locust's statistics (on the master: merged over the workers)."""
    prefix = name(step.index, "")
    entries = {(e.name.removeprefix(prefix), e.method): e for e in stats.entries.values() if e.name.startswith(prefix)}
    vendor = entries.get(VENDOR[role])
    flow = entries.get(("transfer", "FLOW"))
    if vendor is not None:
        step.requests, step.errors = vendor.num_requests, vendor.num_failures
        step.max_ms = float(vendor.max_response_time or 0)
        for q in (50, 90, 95, 99):
            setattr(step, f"p{q}_ms", float(vendor.get_response_time_percentile(q / 100)))
    if flow is not None:
        step.transfer_p50_ms = float(flow.get_response_time_percentile(0.5))
        step.transfer_p99_ms = float(flow.get_response_time_percentile(0.99))
        step.transfers = flow.num_requests - flow.num_failures  # those begun in the step, wherever they ended
    closed = step.extra.get("tc_closed", [])
    if role == "doel":  # intakes run on across steps: the transfers the TC saw closed while the step lasted
        step.transfers = closed[1] - closed[0] if len(closed) == 2 else 0
    failures = [e for e in stats.errors.values() if e.name.startswith(prefix)]
    step.conformance = sum(e.occurrences for e in failures if checks.ConformanceError.PREFIX in str(e.error))
    step.simulator_errors = sum(e.occurrences for e in failures if str(e.error).startswith(SIMULATOR))
    step.extra["requests"] = {
        f"{method} {what}" if method == "FLOW" else what: {
            "requests": e.num_requests,
            "failures": e.num_failures,
            "p50_ms": float(e.get_response_time_percentile(0.5)),
            "p99_ms": float(e.get_response_time_percentile(0.99)),
        }
        for (what, method), e in sorted(entries.items())
    }
    step.extra["failures"] = {f"{e.name.removeprefix(prefix)}: {str(e.error)[:300]}": e.occurrences for e in failures}


@events.test_stop.add_listener
def _write(environment: Any, **_: Any) -> None:
    """On the master (or the one process): every step's figures, as complete as they are now."""
    if isinstance(environment.runner, WorkerRunner) or not environment.parsed_options.oso_plan:
        return
    p = plan_of(environment)
    shape = environment.shape_class
    steps = shape.steps if isinstance(shape, Steps) else []
    for step in steps:
        figures(p.role, environment.runner.stats, step)
    if p.out:
        Path(p.out).write_text(json.dumps([s.as_dict() for s in steps], indent=1), encoding="utf-8")
