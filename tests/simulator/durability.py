"""Shared by the crash tests: a real `osokit serve` process, a workload that records what was
acknowledged, and the check that a restarted simulator still has all of it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from oso import envelope
from oso import transport as t


def start(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "osokit.cli",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--cohort",
            "povo=40",
            "--cohort",
            "popo=10",
            "--cohort",
            "vovo=10",
            "--cohort",
            "binnenbrin=10",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"simulator did not start: {line}{proc.stderr.read()}")
    url = line.split("listening on ")[1].strip()
    for _ in range(200):
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("simulator never answered /healthz")


@dataclass
class Workload:
    """Transfers as a doel would run them; remembers every acknowledged session state."""

    url: str
    pupil: dict
    doel: tuple[str, str]
    acknowledged: dict[str, str] = field(default_factory=dict)  # sessie_id -> acknowledged state
    errors: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        headers = {"content-type": "text/xml"}
        with httpx.Client(timeout=5) as http:
            while not self.stop.is_set():
                try:
                    request = t.OverdrachtRequest(
                        bron_brin=self.pupil["bron_brin"],
                        doel_brin=self.doel[0],
                        doel_rk=self.doel[1],
                        zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=self.pupil["zoeksleutel"]),
                        overdrachtsoort="overstapdossier",
                    )
                    answer = http.post(f"{self.url}/tc", content=envelope.message(request), headers=headers)
                    if answer.status_code != 200:
                        self.errors += 1
                        continue
                    sessie = envelope.read_response(answer.content, t.OverdrachtResponse).sessie_id
                    self.acknowledged[sessie] = "aangevraagd"
                    close = t.AfmeldingRequest(sessie_id=sessie, doel_rk=self.doel[1], resultaat="OverdrachtGeslaagd")
                    answer = http.post(f"{self.url}/tc", content=envelope.message(close), headers=headers)
                    if answer.status_code == 200:
                        self.acknowledged[sessie] = "afgemeld"
                except (httpx.HTTPError, ValueError):
                    self.errors += 1
                    time.sleep(0.01)


def crash_and_check(data_dir: Path, rng: random.Random, acks_before_kill: int) -> tuple[int, int]:
    """Run the workload, SIGKILL the simulator mid-flight, restart it, and count what was lost."""
    proc, url = start(data_dir)
    admin = httpx.Client(base_url=url, timeout=10)
    pupil = admin.get("/admin/pupils/povo").json()
    vo = next(s for s in admin.get("/admin/register").json()["schools"] if s["sector"] == "vo")
    load = Workload(url, pupil, (vo["brin"], vo["endpoints"][0]["routeringskenmerk"]))
    worker = threading.Thread(target=load.run, daemon=True)
    worker.start()
    deadline = time.monotonic() + 30
    while len(load.acknowledged) < acks_before_kill and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(rng.random() * 0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    load.stop.set()
    worker.join(10)
    admin.close()
    proc.stdout.close()
    proc.stderr.close()
    acknowledged = dict(load.acknowledged)

    proc, url = start(data_dir)
    lost = 0
    try:
        with httpx.Client(base_url=url, timeout=10) as admin:
            for sessie, state in acknowledged.items():
                found = admin.get(f"/admin/sessions/{sessie}")
                if found.status_code != 200:
                    lost += 1
                    continue
                session = found.json()
                ops = [m["operation"] for m in session["messages"]]
                # never half-written: the session comes with the evidence of the exchange that made it
                assert "overdrachtRequest" in ops and "overdrachtResponse" in ops, session
                if state == "afgemeld" and (
                    session["state"] != "afgemeld" or session["resultaat"] != "OverdrachtGeslaagd"
                ):
                    lost += 1
            # and nothing exists that was never written whole
            for s in admin.get("/admin/sessions", params={"limit": 10000}).json()["sessions"]:
                if s["state"] == "afgemeld":
                    assert s["resultaat"] and s["closed"]
    finally:
        proc.kill()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    return len(acknowledged), lost
