"""Shared by the crash tests: transfers run against a real `osokit serve` process by several doel
schools at once, each remembering what the simulator acknowledged; SIGKILL at a random moment,
restart on the same data dir, and check that everything acknowledged is there, whole and consistent."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from oso import envelope
from oso import transport as t
from simulator.service import DB_NAME
from tests.simulator.serve import SMALL_COHORT_ARGS, start

# How far each step of a transfer got, in order: a later acknowledgement implies the earlier ones.
STEPS = ("aangevraagd", "gecontroleerd", "afgemeld")
HEADERS = {"content-type": "text/xml; charset=utf-8"}


@dataclass
class Workload:
    """One doel school running whole transfers (overdracht, documentRequest at the bron, afmelding)
    in a loop. ``acknowledged`` maps a session to the last step the simulator answered with 200."""

    url: str
    pupil: dict[str, Any]
    doel: tuple[str, str]
    acknowledged: dict[str, str] = field(default_factory=dict)
    messages: int = 0  # answers with HTTP 200: each one is a promise that its effects are durable
    stop: threading.Event = field(default_factory=threading.Event)

    def _post(self, http: httpx.Client, url: str, request: object, answer: type) -> Any:
        response = http.post(url, content=envelope.message(request), headers=HEADERS)
        if response.status_code != 200:
            raise ValueError(f"HTTP {response.status_code}: {response.text[:200]}")
        self.messages += 1
        return envelope.read_response(response.content, answer)

    def transfer(self, http: httpx.Client) -> None:
        zs = t.ZoeksleutelPgnfrag(zoeksleutel=self.pupil["zoeksleutel"])
        route = dict(bron_brin=self.pupil["bron_brin"], doel_brin=self.doel[0], doel_rk=self.doel[1])
        granted = self._post(
            http,
            f"{self.url}/tc",
            t.OverdrachtRequest(**route, zoeksleutel_pgnfrag=zs, overdrachtsoort="overstapdossier"),
            t.OverdrachtResponse,
        )
        sessie, ap = granted.sessie_id, granted.aanleverpunt[0]
        self.acknowledged[sessie] = "aangevraagd"
        document = t.DocumentRequest(
            sessie_id=sessie,
            bron_rk=ap.routeringskenmerk,
            **route,
            zoeksleutel_pgnfrag=zs,
            overdrachtsoort="overstapdossier",
        )
        got = self._post(http, ap.url, document, t.DocumentResponse)
        if got.resultaat != "OverdrachtGeslaagd":
            raise ValueError(f"documentRequest answered {got.resultaat}")
        self.acknowledged[sessie] = "gecontroleerd"
        close = t.AfmeldingRequest(sessie_id=sessie, doel_rk=self.doel[1], resultaat="OverdrachtGeslaagd")
        self._post(http, f"{self.url}/tc", close, t.AfmeldingResponse)
        self.acknowledged[sessie] = "afgemeld"

    def run(self) -> None:
        with httpx.Client(timeout=5) as http:
            while not self.stop.is_set():
                try:
                    self.transfer(http)
                except (httpx.HTTPError, ValueError):  # the kill, seen from the client
                    time.sleep(0.01)


@dataclass
class Tally:
    kills: int = 0
    transfers_acknowledged: int = 0  # sessions with at least their overdracht acknowledged
    messages_acknowledged: int = 0
    lost: list[str] = field(default_factory=list)  # what was acknowledged and is missing or behind

    def __str__(self) -> str:
        return (
            f"kills survived: {self.kills}, sessions acknowledged: {self.transfers_acknowledged}, "
            f"messages acknowledged: {self.messages_acknowledged}, messages lost: {len(self.lost)}"
        )


def _pages(admin: httpx.Client, path: str, key: str, *, by_offset: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        params = {"limit": 10_000} | ({"offset": len(rows)} if by_offset else {"after": rows[-1]["id"] if rows else 0})
        page = admin.get(path, params=params).json()[key]
        rows += page
        if len(page) < 10_000:
            return rows


def verify(url: str, acknowledged: dict[str, str]) -> list[str]:
    """What of ``acknowledged`` a (restarted) simulator lost; asserts that nothing is half-written."""
    with httpx.Client(base_url=url, timeout=30) as admin:
        sessions = {s["sessie_id"]: s for s in _pages(admin, "/admin/sessions", "sessions", by_offset=True)}
        messages = _pages(admin, "/admin/messages", "messages", by_offset=False)
    exchanges: dict[int, list[dict[str, Any]]] = defaultdict(list)
    evidence: dict[str, set[tuple[str, int | None]]] = defaultdict(set)
    for m in messages:
        exchanges[m["exchange"]].append(m)
        if m["sessie_id"]:
            evidence[m["sessie_id"]].add((m["operation"], m["http_status"]))
    # An exchange is written whole: the request with its answer, never one without the other.
    for rows in exchanges.values():
        assert [r["direction"] for r in rows] in (["in", "out"], ["internal", "internal"]), rows
    # No session exists without the exchange that created it; a closed one has its result and its evidence.
    for sessie, s in sessions.items():
        assert ("overdrachtResponse", 200) in evidence[sessie], s
        if s["state"] == "afgemeld":
            assert s["resultaat"] and s["closed"] and ("afmeldingResponse", 200) in evidence[sessie], s
        if s["controles"]:
            assert ("sessiecontroleResponse", 200) in evidence[sessie], (s, evidence[sessie])
    lost = []
    for sessie, step in acknowledged.items():
        s = sessions.get(sessie)
        reached = STEPS.index(step)
        if s is None:
            lost.append(f"{sessie}: acknowledged {step}, session missing")
        elif reached >= 1 and not (s["controles"] >= 1 and ("documentResponse", 200) in evidence[sessie]):
            lost.append(f"{sessie}: acknowledged {step}, found {s['state']} with {s['controles']} controles")
        elif reached == 2 and (s["state"] != "afgemeld" or s["resultaat"] != "OverdrachtGeslaagd"):
            lost.append(f"{sessie}: acknowledged afgemeld, found {s['state']} / {s['resultaat']}")
    return lost


def kill_loop(
    data_dir: Path, rng: random.Random, *, kills: int, workers: int = 3, min_acks: int = 5, max_wait: float = 0.4
) -> Tally:
    """Serve, load, SIGKILL at a random moment (after ``min_acks`` new acknowledgements, then up to
    ``max_wait`` s more), restart on the same data dir and verify everything acknowledged so far."""
    tally = Tally()
    acknowledged: dict[str, str] = {}
    for _ in range(kills):
        served = start(data_dir, *SMALL_COHORT_ARGS)
        try:
            tally.lost += verify(served.url, acknowledged)
            loads = _workloads(served.url, workers)
            threads = [threading.Thread(target=w.run, daemon=True) for w in loads]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 30
            while sum(len(w.acknowledged) for w in loads) < min_acks and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.random() * max_wait)
        finally:
            served.kill()
        tally.kills += 1
        for w in loads:
            w.stop.set()
        for thread in threads:
            thread.join(10)
        for w in loads:
            acknowledged.update(w.acknowledged)
            tally.messages_acknowledged += w.messages
    served = start(data_dir, *SMALL_COHORT_ARGS)
    try:
        tally.lost += verify(served.url, acknowledged)
    finally:
        served.stop()
    with sqlite3.connect(data_dir / DB_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    tally.transfers_acknowledged = len(acknowledged)
    return tally


def _workloads(url: str, n: int) -> list[Workload]:
    """``n`` doel schools (vo) each moving another po pupil, so the loads share the server, not a session."""
    with httpx.Client(base_url=url, timeout=10) as admin:
        vo = [s for s in admin.get("/admin/register").json()["schools"] if s["sector"] == "vo"]
        pupils = [admin.get(f"/admin/pupils/povo/{i}").json() for i in range(n)]
    return [
        Workload(url, pupil, (school["brin"], school["endpoints"][0]["routeringskenmerk"]))
        for pupil, school in zip(pupils, vo[:n] * n, strict=False)
    ]
