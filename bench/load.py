"""Load capacity (issue 6): the locust generator's ceiling, the simulator's full-transfer rate, and that
rate against the raw lxml limit and the uvicorn static ceiling, with the simulator's RSS before and after.

All in one run, side by side: the static server and the simulator run at the same time, each in its
own process, and the generators take turns.
"""

from __future__ import annotations

import asyncio
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from lxml import etree

from bench import httpload, targets
from bench.simulator import overdracht_body
from bench.timing import interleaved, row
from oso import envelope
from oso.exchange import soap_headers
from oso.schema import dossier_schema

CEILING_LOCUSTFILE = Path(__file__).with_name("locust_ceiling.py")
HEADERS = soap_headers("overdrachtRequest")


def locust_ceiling(url: str, duration: float, out: Path) -> float:
    """Requests/s one locust process (FastHttpUser, no wait) gets out of a server that does nothing."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(CEILING_LOCUSTFILE),
            "--host",
            url,
            "--headless",
            "-u",
            "32",
            "-r",
            "32",
            "-t",
            f"{duration:.0f}s",
            "--only-summary",
            "--csv",
            str(out / "ceiling"),
        ],
        capture_output=True,
        timeout=duration + 120,
        check=True,
    )
    with (out / "ceiling_stats.csv").open(encoding="utf-8") as f:
        total = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    return float(total["Requests/s"])


async def _transfers(
    base: str, pupils: list[dict[str, str]], doel: list[str], duration: float, connections: int = 16
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    stop_at = time.perf_counter() + duration
    queue = iter(range(len(pupils)))

    async def worker(http: httpx.AsyncClient) -> None:
        for i in queue:
            if time.perf_counter() > stop_at:
                return
            p = pupils[i]
            started = time.perf_counter()
            answer = await http.post(
                "/admin/las/transfers",
                json={"doel_brin": doel[i % len(doel)], "bron_brin": p["bron_brin"], "pgn": p["pgn"]},
            )
            assert answer.json()["transfers"][0]["resultaat"] == "OverdrachtGeslaagd", answer.text[:300]
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        await asyncio.gather(*(worker(http) for _ in range(connections)))
    return len(latencies), latencies


def transfer_rate(base: str, duration: float) -> tuple[float, int]:
    with httpx.Client(base_url=base, timeout=60) as admin:
        pupils = [
            p
            for offset in range(0, 20_000, 10_000)
            for p in admin.get("/admin/cohort", params={"offset": offset, "limit": 10_000}).json()["pupils"]
        ]
        doel = [
            s["brin"]
            for s in admin.get("/admin/register").json()["schools"]
            if s["sector"] == "vo" and s["vendor"] == "reference"
        ]
    started = time.perf_counter()
    done, _ = asyncio.run(_transfers(base, pupils, doel, duration))
    return done / (time.perf_counter() - started), done


def transfer_bodies(base: str) -> list[bytes]:
    """The bytes one full transfer moves, from the simulator's own evidence log."""
    with httpx.Client(base_url=base, timeout=60) as admin:
        p = admin.get("/admin/cohort", params={"limit": 1}).json()["pupils"][0]
        doel = next(s["brin"] for s in admin.get("/admin/register").json()["schools"] if s["sector"] == "vo")
        mark = admin.get("/admin/info").json()["messages"]
        admin.post("/admin/las/transfers", json={"doel_brin": doel, "bron_brin": p["bron_brin"], "pgn": p["pgn"]})
        rows = admin.get("/admin/messages", params={"after": mark, "body": 1, "limit": 100}).json()["messages"]
    return [r["body"].encode() for r in rows if r.get("body")]


def lxml_limit(bodies: list[bytes], rounds: int = 200) -> float:
    """Transfers/s if a transfer cost nothing but lxml parsing and validating its messages and dossier."""
    transport, dossier = envelope.transport_schema(), dossier_schema()

    def one_transfer() -> None:
        for _ in range(rounds):
            for body in bodies:
                element = etree.fromstring(body)[-1][0]  # noqa: TID251 - the raw lxml limit: soap:Body's child
                transport.validate(element)
                for d in element.iter("{http://www.edustandaard.nl/oso_gegevensset/2019/dossier}dossier"):
                    dossier.validate(etree.ElementTree(d))

    seconds = interleaved({"lxml": one_transfer}, rounds=3)["lxml"]
    return rounds / seconds


def rss_mb(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def run(scale: float = 1.0) -> None:
    print("\nLoad: generator ceiling, full-transfer rate, ratios, memory")
    duration = max(3.0, 10.0 * scale)
    with tempfile.TemporaryDirectory() as tmp:
        static, static_url = targets.start("static")
        sim, sim_url = targets.start("osokit", Path(tmp) / "sim", ["--cohort", "povo=20000", "--evidence-bodies", "1"])
        base = sim_url.removesuffix("/tc")
        try:
            body = overdracht_body(base)
            raw = httpload.run(static_url, body, headers=HEADERS, connections=16, duration=duration)
            ceiling = locust_ceiling(static_url.removesuffix("/tc"), duration, Path(tmp))
            bodies = transfer_bodies(base)
            limit = lxml_limit(bodies)
            before = rss_mb(sim.pid)
            rate, done = transfer_rate(base, duration)
            after = rss_mb(sim.pid)
        finally:
            for proc in (static, sim):
                proc.kill()
                proc.wait()
    row("uvicorn static-POST ceiling (asyncio generator)", f"{raw.rate:,.0f} req/s")
    row(
        "locust generator ceiling (1 process, FastHttpUser)",
        f"{ceiling:,.0f} req/s",
        f"= {ceiling / raw.rate:.2f} of the static ceiling",
    )
    row("simulator full transfers (reference LAS both sides)", f"{rate:,.0f} /s", f"{done:,} transfers, 16 at once")
    row(
        "raw lxml limit (parse + validate a transfer's bytes)",
        f"{limit:,.0f} /s",
        f"{len(bodies)} messages, {sum(map(len, bodies)) / 1024:,.0f} KiB a transfer",
    )
    row("ratio simulator / raw lxml limit", f"{rate / limit:.2f}")
    row("ratio simulator HTTP requests (2 a transfer) / static", f"{2 * rate / raw.rate:.2f}")
    row("simulator RSS before -> after (peak)", f"{before[0]:,.0f} -> {after[0]:,.0f} MB", f"peak {after[1]:,.0f} MB")
