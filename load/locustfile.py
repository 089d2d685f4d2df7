"""OSO load for locust: ``locust -f load/locustfile.py --host http://127.0.0.1:8700`` (web UI or --headless).

The host is an osokit simulator (``osokit serve``): it plays the Traffic Center and the counterpart
schools, and a vendor's LAS registered in it is reached through the endpoints the TC hands out. The
users play the other side of the spring intake:

* ``DoelLas``: a new school's LAS doing full transfers (session, every aanleverpunt, afmelding);
* ``BatchDoelLas``: a collective request for a whole groep 8 of one po school;
* ``ReRequestLas``: re-requests with dossierVerzameldatum after the eindtoets;
* ``NotifyingBron``: a bron LAS pushing notifications to a doel;
* ``BronHammer``: full transfers concentrated on one bron school (``--oso-bron-brin``), e.g. a vendor's.

Every answer is checked for conformance (``load/checks.py``); breaks count as failures of type
ConformanceError. ``--oso-shape`` picks the load shape (``load/shapes.py``); ``-u`` is the peak.
Runs are bounded: they stop at ``--run-time`` (default 10 minutes) or after ``--oso-max-requests``.
Only loopback hosts are served.
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from locust import FastHttpUser, LoadTestShape, between, events, task
from locust.exception import StopUser
from locust.runners import Runner

from load import checks, shapes
from load.stats import figures, run_seconds
from load.world import LOOPBACK, PAGE, World
from oso import faults
from oso import transport as t
from oso.exchange import Call
from oso.faults import OsoFault

log = logging.getLogger("osokit.load")
DEFAULT_SECONDS = 600


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument(
        "--oso-shape",
        choices=shapes.SHAPES,
        default="constant",
        include_in_web_ui=True,
        help="load shape: spring-peak, steady, spike, or constant (plain -u/-r)",
    )
    parser.add_argument(
        "--oso-profile",
        default="povo",
        include_in_web_ui=True,
        help="the cohort the users draw pupils from (default povo)",
    )
    parser.add_argument(
        "--oso-bron-brin",
        default="",
        include_in_web_ui=True,
        help="BronHammer: the bron school to hammer (default: the simulator's busiest)",
    )
    parser.add_argument(
        "--oso-validate-every",
        type=int,
        default=100,
        include_in_web_ui=True,
        help="validate every Nth dossier in full (schema + rules); 0 = never",
    )
    parser.add_argument(
        "--oso-max-requests",
        type=int,
        default=2_000_000,
        include_in_web_ui=False,
        help="stop after this many requests per process (a bound on every run)",
    )
    parser.add_argument("--oso-seed", type=int, default=0, include_in_web_ui=False, help="seed of the pupil draws")
    parser.add_argument(
        "--oso-summary",
        default="",
        include_in_web_ui=False,
        help="write the run's summary (SOAP latency, conformance failures) as JSON here",
    )


# --- what the users share: the register and the cohort, read once per process -------------------------


_world: World | None = None
_requests = itertools.count(1)
_env: Any = None


@events.init.add_listener
def _keep_environment(environment: Any, **_: Any) -> None:
    global _env
    _env = environment


def world(user: FastHttpUser) -> World:
    global _world
    if _world is None:
        o = user.environment.parsed_options
        assert user.host is not None, "osokit load always passes --host"
        _world = World(user.host, o.oso_profile, o.oso_seed)
    return _world


@events.test_start.add_listener
def _loopback_only(environment: Any, **_: Any) -> None:
    host = urlsplit(environment.host or "").hostname
    if host not in LOOPBACK:
        log.error("osokit load runs target only loopback addresses; --host %s is not one", environment.host)
        environment.runner.quit()


@events.request.add_listener
def _bounded(**_: Any) -> None:
    limit = _env.parsed_options.oso_max_requests if _env and _env.parsed_options else 0
    if limit and next(_requests) == limit:
        log.warning("reached --oso-max-requests %d: stopping", limit)
        _env.runner.quit()


@events.test_stop.add_listener
def _summary(environment: Any, **_: Any) -> None:
    """On the master (or a single process): latency over the SOAP requests only, not the FLOW timings."""
    from locust.runners import WorkerRunner
    from locust.stats import StatsEntry

    path = environment.parsed_options.oso_summary if environment.parsed_options else ""
    if not path or isinstance(environment.runner, WorkerRunner):
        return
    stats = environment.runner.stats
    seconds = run_seconds(stats)
    soap = StatsEntry(stats, "SOAP requests", "")
    flows = {}
    for entry in stats.entries.values():
        if entry.method == "FLOW":
            flows[entry.name] = figures(entry, seconds)
        else:
            soap.extend(entry)
    conformance = sum(e.occurrences for e in stats.errors.values() if checks.ConformanceError.PREFIX in str(e.error))
    summary = {
        "soap": figures(soap, seconds),
        "flows": flows,
        "conformance_failures": conformance,
        "failures": {f"{e.method} {e.name}: {e.error}": e.occurrences for e in stats.errors.values()},
        "shape": environment.parsed_options.oso_shape,
        "users": environment.parsed_options.num_users,
    }
    Path(path).write_text(json.dumps(summary, indent=1), encoding="utf-8")


# --- the users ---------------------------------------------------------------------------------------


class OsoUser(FastHttpUser):
    """Speaks SOAP to the TC and to aanleverpunten, checking every answer."""

    abstract = True
    wait_time = between(0.05, 0.2)
    dossiers = itertools.count()

    def soap(self, url: str, request: object, expected: type, name: str) -> Any:
        """One SOAP exchange: the typed answer, or the OsoFault the peer answered with (a valid outcome)."""
        if urlsplit(url).hostname not in LOOPBACK:
            raise StopUser(f"{url} is not a loopback address: osokit load stops rather than send there")
        call = Call.of(url, request)  # encoded with its headers as every osokit sender does; locust measures the POST
        with self.client.post(
            url,
            data=call.body,  # type: ignore[arg-type]  # locust types data as str | dict; bytes go out as they are
            headers=dict(call.headers),
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code in (0, None):
                response.failure(response.error or "no answer")
                return None
            try:
                outcome = checks.answer(response.status_code, response.content or b"", expected)
                if isinstance(outcome, t.DocumentResponse) and outcome.dossier:
                    every = self.environment.parsed_options.oso_validate_every
                    checks.dossier(str(outcome.dossier), full=bool(every) and next(self.dossiers) % every == 0)
            except (checks.ConformanceError, checks.TransportError) as exc:
                response.failure(exc)
                return None
            response.success()
            return outcome

    def transfer(self, pupil: dict[str, Any], doel: tuple[str, str], verzameldatum: datetime | None = None) -> str:
        """One full transfer as the doel: session, every aanleverpunt, afmelding with the best result."""
        started = time.perf_counter()
        tc = f"{self.host}/tc"
        sleutel = t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"])
        granted = self.soap(
            tc,
            t.OverdrachtRequest(
                bron_brin=pupil["bron_brin"],
                doel_brin=doel[0],
                doel_rk=doel[1],
                zoeksleutel_pgnfrag=sleutel,
                overdrachtsoort="overstapdossier",
            ),
            t.OverdrachtResponse,
            "TC overdracht",
        )
        if not isinstance(granted, t.OverdrachtResponse):
            return "no session"
        results = []
        for ap in granted.aanleverpunt:
            answer = self.soap(
                ap.url,
                t.DocumentRequest(
                    sessie_id=granted.sessie_id,
                    bron_brin=pupil["bron_brin"],
                    bron_rk=ap.routeringskenmerk,
                    doel_brin=doel[0],
                    doel_rk=doel[1],
                    zoeksleutel_pgnfrag=sleutel,
                    overdrachtsoort="overstapdossier",
                    dossier_verzameldatum=verzameldatum,
                ),
                t.DocumentResponse,
                "bron document" if verzameldatum is None else "bron document (re-request)",
            )
            code = answer.code if isinstance(answer, OsoFault) else faults.GESLAAGD if answer else None
            results.append((ap.routeringskenmerk, code if code in faults.RESULTATEN else faults.INTERNE_FOUT))
        best = faults.best_result([r for _, r in results]) if results else faults.AANLEVERPUNT_ONBEREIKBAAR
        best_rk = next((rk for rk, r in reversed(results) if r == best), None)
        self.soap(
            tc,
            t.AfmeldingRequest(sessie_id=granted.sessie_id, bron_rk=best_rk, doel_rk=doel[1], resultaat=best),
            t.AfmeldingResponse,
            "TC afmelding",
        )
        events.request.fire(
            request_type="FLOW",
            name="full transfer" if verzameldatum is None else "re-request transfer",
            response_time=_ms(started),
            response_length=0,
            exception=None,
            context={},
        )
        return best


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


class DoelLas(OsoUser):
    weight = 8

    @task
    def one_pupil(self) -> None:
        w = world(self)
        self.transfer(w.pupil(), w.doel("vo" if w.profile in ("povo", "vovo") else "po"))


class BatchDoelLas(OsoUser):
    """A collective request: a session per pupil, the class one after the other."""

    weight = 1
    wait_time = between(1, 3)

    @task
    def groep8(self) -> None:
        w = world(self)
        started, doel = time.perf_counter(), w.doel("vo")
        pupils = w.groep8()
        for pupil in pupils:
            self.transfer(pupil, doel)
        events.request.fire(
            request_type="FLOW",
            name="collective request (groep 8)",
            response_time=_ms(started),
            response_length=0,
            exception=None,
            context={},
        )


class ReRequestLas(OsoUser):
    """After the eindtoets: ask again with dossierVerzameldatum. Pupils without an update get
    GeenNieuwerDossier from the bron, which is the right answer, not an error."""

    weight = 2

    @task
    def re_request(self) -> None:
        w = world(self)
        after = datetime.fromisoformat("2026-05-01T00:00:00+02:00") - timedelta(days=w.rng.choice((0, 120)))
        self.transfer(w.pupil(), w.doel("vo"), verzameldatum=after)


class NotifyingBron(OsoUser):
    """A bron school's LAS telling a doel there is something for it (the SWV notification)."""

    weight = 1

    @task
    def notify(self) -> None:
        w = world(self)
        bron, doel = w.doel("po"), w.doel("vo")
        route = dict(bron_brin=bron[0], bron_rk=bron[1], doel_brin=doel[0], doel_rk=doel[1])
        melding = self.soap(
            f"{self.host}/tc", t.MeldenNotificatieRequest(**route), t.MeldenNotificatieResponse, "TC meldenNotificatie"
        )
        if isinstance(melding, t.MeldenNotificatieResponse):
            self.soap(
                melding.url,
                t.NotificatieRequest(**route, koppelsleutel=melding.koppelsleutel, doel="SWV"),
                t.NotificatieResponse,
                "doel notificatie",
            )


class BronHammer(OsoUser):
    """Full transfers for the pupils of one bron school: its endpoint takes every documentRequest."""

    weight = 1

    def on_start(self) -> None:
        w = world(self)
        pupils = [p for n in range(min(20, (w.total + PAGE - 1) // PAGE)) for p in w.page(n)]
        counts = collections.Counter(p["bron_brin"] for p in pupils)
        brin = self.environment.parsed_options.oso_bron_brin or counts.most_common(1)[0][0]
        self.pupils = [p for p in pupils if p["bron_brin"] == brin]
        if not self.pupils:
            raise StopUser(f"no pupils of bron school {brin} in the simulator's {w.profile} cohort")

    @task
    def hammer(self) -> None:
        w = world(self)
        self.transfer(w.rng.choice(self.pupils), w.doel("vo"))


# --- the shape -----------------------------------------------------------------------------------------


class OsoShape(LoadTestShape):
    """--oso-shape over -u (the peak users), -r (spawn rate) and --run-time (the calendar's length)."""

    use_common_options = True
    runner: Runner  # set by locust before the first tick (LoadTestShape says Runner | None)

    def tick(self) -> tuple[int, float] | tuple[int, float, list[type]] | None:
        o = self.runner.environment.parsed_options
        assert o is not None, "locust parses the options before the first tick"
        duration = float(o.run_time or DEFAULT_SECONDS)
        elapsed = self.get_run_time()
        if elapsed >= duration:
            return None
        moment = shapes.at(o.oso_shape, elapsed / duration)
        peak = int(o.num_users or 1)
        users = max(1, round(moment.users * peak))
        rate = float(o.spawn_rate or max(1.0, peak / 5))
        if moment.classes is None:
            return users, rate
        chosen: list[type] = [
            cls for cls in (DoelLas, BatchDoelLas, ReRequestLas, NotifyingBron) if cls.__name__ in moment.classes
        ]
        return users, rate, chosen
