"""One exchange, in process against over the wire: the overdrachtRequest a hosted doel LAS sends its
Traffic Center, through the in-process path (schema check, the TC, the evidence log) and as the same
bytes POSTed to the simulator's /tc (HTTP, parse, the TC, the evidence log, group commit).

Both run against one simulator in this process, interleaved; each call writes a session and its
evidence, inside one transaction per round for the in-process path as a hosted LAS's call does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from bench.timing import interleaved, row
from oso import envelope
from oso import transport as t
from simulator.server import start_in_thread
from simulator.service import Config

HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"overdracht"'}  # spelled out: runs on older code


def run(scale: float = 1.0) -> None:
    print("\nExchange: one overdrachtRequest in process vs over HTTP (validated, handled, logged)")
    calls = max(50, int(500 * scale))
    with tempfile.TemporaryDirectory() as tmp:
        running = start_in_thread(Config(data_dir=Path(tmp), cohort={"povo": 20}))
        sim = running.simulator
        try:
            pupil = next(p for p in sim.catalogue.by_key.values() if p.key.startswith("povo/"))
            doel = next(s for s in sim.register.schools.values() if s.sector == "vo")
            request = t.OverdrachtRequest(
                bron_brin=pupil.school,
                doel_brin=doel.brin,
                doel_rk=sim.register.endpoints_of(doel.brin)[0].routeringskenmerk,
                zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=sim.scheme.zoeksleutel(pupil.pgn)),
                overdrachtsoort="overstapdossier",
            )
            body = envelope.message(request)
            with httpx.Client(timeout=30) as http:

                def in_process() -> None:
                    with sim.store.transaction():
                        for _ in range(calls):
                            sim.las.call_tc(request)

                def over_http() -> None:
                    for _ in range(calls):
                        assert http.post(f"{running.url}/tc", content=body, headers=HEADERS).status_code == 200

                seconds = interleaved({"in process": in_process, "over HTTP": over_http}, rounds=5)
        finally:
            running.stop()
    per_call = {name: s / calls * 1e6 for name, s in seconds.items()}
    row("in process: µs per overdrachtRequest", f"{per_call['in process']:,.0f}", f"{calls} calls a round")
    row("over HTTP (loopback): µs per overdrachtRequest", f"{per_call['over HTTP']:,.0f}")
    row("ratio in process / over HTTP", f"{per_call['in process'] / per_call['over HTTP']:.2f}", "lower is cheaper")
