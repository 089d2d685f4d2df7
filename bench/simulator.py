"""The Traffic Center's message rate against the uvicorn ceiling and a spyne service (issue 4).

The same overdrachtRequest (a real one: the simulator grants a session, validated and durably
logged) goes to three servers started side by side: a static ASGI app (what uvicorn alone can
do on this machine), osokit, and a minimal spyne SOAP service with lxml validation. The load
generator runs in its own processes; rounds are interleaved and the medians compared.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import httpx

from bench import httpload, targets
from bench.timing import row
from oso import envelope
from oso import transport as t
from oso.exchange import soap_headers


def overdracht_body(base_url: str) -> bytes:
    with httpx.Client(base_url=base_url, timeout=30) as admin:
        pupil = admin.get("/admin/pupils/povo").json()
        vo = next(s for s in admin.get("/admin/register").json()["schools"] if s["sector"] == "vo")
    return envelope.message(
        t.OverdrachtRequest(
            bron_brin=pupil["bron_brin"],
            doel_brin=vo["brin"],
            doel_rk=vo["endpoints"][0]["routeringskenmerk"],
            zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"]),
            overdrachtsoort="overstapdossier",
        )
    )


def run(scale: float = 1.0) -> None:
    print("\nSimulator: Traffic Center message rate (overdrachtRequest, validated, committed, logged)")
    duration, rounds = max(1.0, 3.0 * scale), 3 if scale >= 1 else 1
    headers = soap_headers("overdrachtRequest")
    spyne = importlib.util.find_spec("spyne") is not None
    if not spyne:
        print("  (spyne is not installed: the spyne rows are left out; `make bench` installs the bench extra)")
    with tempfile.TemporaryDirectory() as tmp:
        servers = {
            "static": targets.start("static"),
            "osokit": targets.start("osokit", Path(tmp), ["--cohort", "povo=100"]),
        } | ({"spyne": targets.start("spyne")} if spyne else {})
        try:
            body = overdracht_body(servers["osokit"][1].removesuffix("/tc"))
            results: dict[str, list[httpload.Result]] = {name: [] for name in servers}
            for _ in range(rounds):
                for name, (_, url) in servers.items():
                    results[name].append(httpload.run(url, body, headers=headers, connections=16, duration=duration))
            with httpx.Client(timeout=30) as admin:
                stats = admin.get(servers["osokit"][1].removesuffix("/tc") + "/admin/stats").json()
        finally:
            for proc, _ in servers.values():
                proc.kill()
                proc.wait()
    rates = {name: httpload.median_rate(rs) for name, rs in results.items()}
    for name in servers:
        last = results[name][-1]
        row(
            f"{name}: requests/s (p50 / p99 latency)",
            f"{rates[name]:,.0f}",
            f"{last.percentile(50):.1f} / {last.percentile(99):.1f} ms, errors {sum(r.errors for r in results[name])}",
        )
    row("ratio osokit / uvicorn static-POST ceiling", f"{rates['osokit'] / rates['static']:.2f}", "target >= 0.5")
    if spyne:
        row("ratio osokit / spyne (lxml validation, no durability)", f"{rates['osokit'] / rates['spyne']:.2f}")
    row("osokit sessions committed during the run", f"{sum(stats['sessions'].values()):,}")
