"""The national replay as a locustfile: every pupil of the simulator's cohort one full transfer, the
reference LAS on both sides (``osokit load replay`` runs it; plain ``locust -f load/replay.py`` too).

Each request asks the reference LAS, as a vo school, for one pupil's dossier (``POST
/admin/las/transfers``): it opens a session at the Traffic Center, fetches the dossier from the po
school's aanleverpunt over HTTP, validates and imports it in three steps and closes the session.
The pupils are split over the processes (``--oso-workers``); a process stops when its share is
done, the run when all are. With ``--oso-shards URL,URL,...`` (simulator instances with the same
cohort) pupil ``i`` goes to shard ``i % len(shards)``.
"""

from __future__ import annotations

import itertools
import logging
import threading
from typing import Any
from urllib.parse import urlsplit

import gevent
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser
from locust.runners import WORKER_REPORT_INTERVAL, MasterRunner, WorkerRunner

from load.stats import figures, run_seconds
from load.world import LOOPBACK, World
from simulator.access import client_headers

log = logging.getLogger("osokit.replay")
DONE = "osokit-replay-done"
STEPS = ["personalia", "schoolloopbaan", "ondersteuning"]


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--oso-profile", default="povo", help="the cohort to replay (default povo)")
    parser.add_argument("--oso-limit", type=int, default=0, help="replay only the first N pupils (0: all)")
    parser.add_argument("--oso-workers", type=int, default=1, help="how many processes share the cohort")
    parser.add_argument("--oso-summary", default="", help="write the run's summary as JSON here")
    parser.add_argument(
        "--oso-shards", default="", help="simulators sharing the cohort, comma-separated (default --host)"
    )


class Share:
    """This process's pupils: every ``workers``-th index from its own, handed out to its users in turn."""

    def __init__(self, environment: Any) -> None:
        o = environment.parsed_options
        self.world = World(environment.host, o.oso_profile, 0)
        total = min(self.world.total, o.oso_limit) if o.oso_limit else self.world.total
        worker = getattr(environment.runner, "worker_index", 0)
        self.indexes = iter(range(worker % o.oso_workers, total, o.oso_workers))
        self.shards = [u.rstrip("/") for u in o.oso_shards.split(",") if u] or [environment.host.rstrip("/")]
        self.doel = [b for b, s in self.world.schools.items() if s["sector"] == "vo" and s["vendor"] == "reference"]
        self.lock, self.users, self.finished = threading.Lock(), 0, False

    def next(self) -> int | None:
        with self.lock:
            return next(self.indexes, None)


_share: Share | None = None
_done_workers = itertools.count(1)


@events.test_start.add_listener
def _share_out(environment: Any, **_: Any) -> None:
    """Once per process, before any user starts: this process's share of the cohort."""
    global _share
    if isinstance(environment.runner, MasterRunner):
        return
    share = Share(environment)
    strangers = [u for u in share.shards if urlsplit(u).hostname not in LOOPBACK]
    if strangers:
        log.error("osokit load runs target only loopback addresses; %s is not one", strangers[0])
        environment.runner.quit()
        return
    _share = share


@events.init.add_listener
def _on_master(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner):

        def worker_done(environment: Any, msg: Any, **_: Any) -> None:
            if next(_done_workers) >= environment.parsed_options.oso_workers:
                log.info("every worker replayed its share: stopping")
                environment.runner.quit()

        environment.runner.register_message(DONE, worker_done)


def _finish(environment: Any) -> None:
    """This process replayed its share."""
    if isinstance(environment.runner, WorkerRunner):
        gevent.sleep(1.5 * WORKER_REPORT_INTERVAL)  # the stats reporter sends this worker's last samples first
        environment.runner.send_message(DONE, None)
    else:
        environment.runner.quit()


class ReplayLas(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        if _share is None:
            raise StopUser()
        with _share.lock:
            _share.users += 1

    def on_stop(self) -> None:
        if _share is None:
            return
        with _share.lock:
            _share.users -= 1
            last = _share.users == 0 and not _share.finished
            if last:
                _share.finished = True
        if last:
            _finish(self.environment)

    @task
    def transfer(self) -> None:
        if _share is None or (index := _share.next()) is None:
            raise StopUser()
        pupil = _share.world.pupil(index)
        body = {
            "doel_brin": _share.doel[index % len(_share.doel)],
            "bron_brin": pupil["bron_brin"],
            "pgn": pupil["pgn"],
        }
        with self.client.post(
            f"{_share.shards[index % len(_share.shards)]}/admin/las/transfers",
            json=body,
            headers=client_headers(),
            name="full transfer (reference doel)",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
                return
            done = response.json()["transfers"][0]
            if done["resultaat"] != "OverdrachtGeslaagd" or done.get("imported") != STEPS:
                response.failure(
                    f"pupil {pupil['key']}: {done['resultaat']}, imported {done.get('imported')}: "
                    f"{'; '.join(done.get('problems') or [])[:200]}"
                )
                return
            response.success()


@events.test_stop.add_listener
def _summary(environment: Any, **_: Any) -> None:
    import json
    from pathlib import Path

    path = environment.parsed_options.oso_summary if environment.parsed_options else ""
    if not path or isinstance(environment.runner, WorkerRunner):
        return
    entry = environment.runner.stats.total
    summary = {
        "soap": figures(entry, run_seconds(environment.runner.stats)),
        "flows": {},
        "conformance_failures": 0,
        "failures": {
            f"{e.method} {e.name}: {e.error}": e.occurrences for e in environment.runner.stats.errors.values()
        },
    }
    Path(path).write_text(json.dumps(summary, indent=1), encoding="utf-8")
