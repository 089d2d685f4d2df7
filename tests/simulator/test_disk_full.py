"""A full disk is an answer, never a hang, and loses nothing acknowledged: a real `osokit serve` process
with its data dir on a small tmpfs that the test fills, restarts on while full, frees, and restarts on.

Every write while the disk is full is refused with ``TijdelijkNietBeschikbaar`` (SOAP) or 503 (JSON);
nothing refused shows up later, in memory or after a restart; everything acknowledged survives the
restart; and once space is back the same process serves again. Mounting needs root (CI runs as root).
"""

from __future__ import annotations

import errno
import itertools
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from oso import envelope, faults
from oso import transport as t
from oso.faults import OsoFault
from tests.simulator.serve import SMALL_COHORT_ARGS, start

DISK_MB = 24
ARGS = (*SMALL_COHORT_ARGS, "--disk-floor-mb", "0")  # no floor: this test is about commits that fail
HEADERS = {"content-type": "text/xml; charset=utf-8"}
TIMEOUT = 10  # seconds: an answer that takes longer is a hang

VENDOR_NUMBERS = itertools.count(7000)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of DISK_MB: a real file system that fills up, for the simulator's data dir."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux (CI runs the tests as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int = 0) -> Path:
    """Write a ballast file until the file system has no block left, then give back ``leave`` bytes."""
    ballast = disk / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 20, 1 << 12):
            while True:
                try:
                    os.write(fd, b"\xff" * chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
        assert os.statvfs(disk).f_bavail == 0
        os.ftruncate(fd, max(os.fstat(fd).st_size - leave, 0))
    finally:
        os.close(fd)
    return ballast


@dataclass
class Tally:
    """What the simulator acknowledged (a 200) and what it refused, as one client saw it."""

    sessions: dict[str, str] = field(default_factory=dict)  # sessie_id -> the last state acknowledged
    vendors: list[str] = field(default_factory=list)
    refused_vendors: list[str] = field(default_factory=list)
    clock_offset: float | None = None  # the clock's offset as last acknowledged (advances only add)
    faults: Counter[str] = field(default_factory=Counter)
    refused_json: int = 0  # 503 answers of the admin API

    def add(self, other: Tally) -> None:
        self.sessions |= other.sessions
        self.vendors += other.vendors
        self.refused_vendors += other.refused_vendors
        offsets = [o for o in (self.clock_offset, other.clock_offset) if o is not None]
        self.clock_offset = max(offsets, default=None)
        self.faults += other.faults
        self.refused_json += other.refused_json


class Client:
    """One doel school's LAS and its operator: whole transfers, register changes, clock changes."""

    def __init__(self, url: str, name: str, pupil: dict[str, Any], doel: tuple[str, str]) -> None:
        self.name, self.pupil, self.doel = name, pupil, doel
        self.tally = Tally()
        self.http = httpx.Client(base_url=url, timeout=TIMEOUT)

    def close(self) -> None:
        self.http.close()

    def soap(self, url: str, request: object, answer: type) -> Any:
        """The typed answer, or the OsoFault; a hang fails the test (httpx raises after TIMEOUT)."""
        response = self.http.post(url, content=envelope.message(request), headers=HEADERS)
        assert response.status_code in (200, 500), (response.status_code, response.text[:300])
        try:
            return envelope.read_response(response.content, answer)
        except OsoFault as fault:
            self.tally.faults[fault.code] += 1
            return fault

    def transfer(self) -> bool:
        """overdracht, documentRequest at the bron, afmelding; True when all three were acknowledged."""
        zs = t.ZoeksleutelPgnfrag(zoeksleutel=self.pupil["zoeksleutel"])
        route = dict(bron_brin=self.pupil["bron_brin"], doel_brin=self.doel[0], doel_rk=self.doel[1])
        kind = {"overdrachtsoort": "overstapdossier"}
        granted = self.soap("/tc", t.OverdrachtRequest(**route, zoeksleutel_pgnfrag=zs, **kind), t.OverdrachtResponse)
        if isinstance(granted, OsoFault):
            return False
        sessie, ap = granted.sessie_id, granted.aanleverpunt[0]
        self.tally.sessions[sessie] = "aangevraagd"
        document = t.DocumentRequest(
            sessie_id=sessie, bron_rk=ap.routeringskenmerk, **route, zoeksleutel_pgnfrag=zs, **kind
        )
        got = self.soap(ap.url, document, t.DocumentResponse)
        if isinstance(got, OsoFault):
            return False
        assert got.resultaat == faults.GESLAAGD
        self.tally.sessions[sessie] = "gecontroleerd"
        close = t.AfmeldingRequest(sessie_id=sessie, doel_rk=self.doel[1], resultaat=faults.GESLAAGD)
        if isinstance(self.soap("/tc", close, t.AfmeldingResponse), OsoFault):
            return False
        self.tally.sessions[sessie] = "afgemeld"
        return True

    def json(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """An admin call: 200, or 503 saying the storage is unavailable (never a bare 500 or a reset)."""
        response = self.http.request(method, path, json=body)
        if response.status_code != 200:
            assert response.status_code == 503, (path, response.status_code, response.text[:300])
            assert "storage is unavailable" in response.json()["error"], response.text
            self.tally.refused_json += 1
        return response

    def add_vendor(self) -> bool:
        vendor = f"{self.name}-{len(self.tally.vendors) + len(self.tally.refused_vendors) + 1}"
        change = {"kind": "vendor", "id": vendor, "number": next(VENDOR_NUMBERS)}  # a number is one vendor's
        ok = self.json("POST", "/admin/register", change).is_success
        (self.tally.vendors if ok else self.tally.refused_vendors).append(vendor)
        return ok

    def advance_clock(self) -> bool:
        response = self.json("POST", "/admin/clock", {"advance_seconds": 1})
        if response.is_success:
            self.tally.clock_offset = response.json()["offset_seconds"]
        return response.is_success

    def round(self) -> int:
        """One of each write; how many were acknowledged."""
        return self.transfer() + self.add_vendor() + self.advance_clock()

    def until_refused(self, max_rounds: int = 300) -> int:
        """Rounds until three in a row had every write refused; how many rounds that took."""
        refused = 0
        for n in range(1, max_rounds + 1):
            refused = refused + 1 if self.round() == 0 else 0
            if refused == 3:
                return n
        raise AssertionError(f"{self.name}: the disk never filled up for the simulator: {self.tally}")


def check_consistent(url: str, tally: Tally) -> None:
    """What runs is what was acknowledged: committed sessions, register and clock; nothing refused."""
    with httpx.Client(base_url=url, timeout=TIMEOUT) as http:
        health = http.get("/healthz")
        assert health.status_code in (200, 503), health.text
        assert health.json()["sessions"] == len(tally.sessions)
        found = http.get("/admin/sessions", params={"limit": 10_000}).json()["sessions"]
        assert {s["sessie_id"]: s["state"] for s in found} == tally.sessions
        vendors = {v["id"] for v in http.get("/admin/register").json()["vendors"]}
        assert set(tally.vendors) <= vendors, set(tally.vendors) - vendors
        assert not set(tally.refused_vendors) & vendors, set(tally.refused_vendors) & vendors
        assert http.get("/admin/clock").json()["offset_seconds"] == tally.clock_offset


def clients(url: str, n: int) -> list[Client]:
    with httpx.Client(base_url=url, timeout=TIMEOUT) as http:
        pupil = http.get("/admin/pupils/povo").json()
        schools = [s for s in http.get("/admin/register").json()["schools"] if s["sector"] == "vo"]
    return [
        Client(url, f"doel{i}", pupil, (s["brin"], s["endpoints"][0]["routeringskenmerk"]))
        for i, s in enumerate(schools[:n])
    ]


def in_parallel(group: list[Client]) -> list[int]:
    """Each client's until_refused, at the same time (so group commits carry several exchanges)."""
    with ThreadPoolExecutor(len(group)) as pool:
        return list(pool.map(Client.until_refused, group))


@pytest.mark.timeout(240)
def test_full_disk_refuses_clearly_loses_nothing_and_recovers_without_restart(small_disk, tmp_path):
    data, tally = small_disk / "data", Tally()
    served = start(data, *ARGS, log_dir=tmp_path)
    try:
        group = clients(served.url, 3)
        for c in group:  # healthy: everything acknowledged
            assert c.round() == 3

        # Filling up under concurrent traffic, then full: every write is refused, clearly and promptly.
        ballast = fill(small_disk, leave=1 << 20)
        rounds = in_parallel(group)
        for c in group:
            tally.add(c.tally)
            c.close()
        assert set(tally.faults) == {faults.TIJDELIJK}, tally.faults
        check_consistent(served.url, tally)
        assert httpx.get(f"{served.url}/healthz").status_code == 503

        # Restarted on the full disk: it starts, and answers clearly (no bare 500, no reset connection).
        served.stop()
        served = start(data, *ARGS, healthy=False, log_dir=tmp_path)
        client = clients(served.url, 1)[0]
        client.tally = tally
        assert client.round() == 0
        pupil = client.pupil
        transfer = {"doel_brin": client.doel[0], "bron_brin": pupil["bron_brin"], "pgn": pupil["pgn"]}
        answer = client.json("POST", "/admin/las/transfers", transfer)
        assert answer.status_code == 503 or answer.json()["transfers"][0]["resultaat"] == faults.TIJDELIJK
        health = client.http.get("/healthz")
        assert health.status_code == 503 and "full" in health.json()["reason"], health.text
        check_consistent(served.url, tally)

        # Space back: the same process serves again, at once.
        ballast.unlink()
        assert client.round() == 3, tally
        assert client.http.get("/healthz").status_code == 200
        check_consistent(served.url, tally)
        client.close()

        # Restart: exactly what was acknowledged is there, nothing refused is.
        served.stop()
        served = start(data, *ARGS, log_dir=tmp_path)
        check_consistent(served.url, tally)
        print(
            f"\nfull-disk test: {sum(rounds)} rounds of 3 clients until full; acknowledged "
            f"{len(tally.sessions)} sessions and {len(tally.vendors)} register changes; refused "
            f"{sum(tally.faults.values())} SOAP requests ({', '.join(tally.faults)}), "
            f"{tally.refused_json} admin writes (503); all acknowledged present after the restart"
        )
    finally:
        served.stop()
