"""The world a conformance run sets up: the simulator (playing the Traffic Center and the counterpart
schools), the vendor's LAS behind its adapter, and what the checks need to look at.

The simulator is osokit's one test world (:class:`simulator.testing.World`, as in osokit's own
tests): served in a thread of the test process on 127.0.0.1. With target ``reference`` or
``mutant:<name>`` it also hosts the LAS under test (schools 80AA po and 80AB vo); with a URL the
vendor's own schools and aanleverpunten (from its control API) are added to the register.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.adapter import AdapterError, NotSupported, School, VendorAdapter, VendorInfo, load_adapter
from oso import transport as t
from simulator.client import OsoClient
from simulator.mutants import vendor_under_test
from simulator.pki import init_pki
from simulator.register import REFERENCE
from simulator.server import Running
from simulator.service import VUT, Config
from simulator.testing import World

TRANSFERS = ("popo", "povo", "vovo")
ROLES = ("doel", "bron")
SECTORS = {"popo": ("po", "po"), "povo": ("po", "vo"), "vovo": ("vo", "vo")}  # (bron, doel) per transfer
COHORT = {"povo": 30, "popo": 10, "vovo": 10, "binnenbrin": 5}
STRANGER = "andere-leverancier"  # a vendor with a certificate of the run's CA that no school mandated


@dataclass(frozen=True)
class Options:
    target: str = "reference"  # reference | mutant:<name> | the vendor's control URL
    roles: tuple[str, ...] = ROLES
    transfers: tuple[str, ...] = TRANSFERS
    seed: int = 0
    adapter: str | None = None
    show_pgn: bool = False
    tls: bool | None = None  # None: on for hosted targets (mutual TLS, as in production), off for URLs

    @property
    def hosted(self) -> bool:
        """The LAS under test runs inside the simulator (the reference or a mutant)."""
        return self.target == REFERENCE or self.target.startswith("mutant:")

    @property
    def secure(self) -> bool:
        return self.hosted if self.tls is None else self.tls


class Harness:
    def __init__(self, options: Options, workdir: Path | None = None) -> None:
        self.options = options
        self.own_workdir = workdir is None  # a temporary one (with the run's test keys) is removed at stop
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="osokit-conformance-"))

    def start(self) -> None:
        o = self.options
        if o.secure and not o.hosted:
            raise AdapterError(
                "--oso-tls on needs a hosted target (reference or mutant:<name>) in this version: "
                "a vendor's own endpoints would have to trust the run's test CA"
            )
        self.pki = init_pki(self.workdir / "pki", [REFERENCE, VUT, STRANGER]) if o.secure else None
        config = Config(
            data_dir=self.workdir / "simulator",
            vut=vendor_under_test(o.target) if o.hosted else None,
            cohort=COHORT,
            show_pgn=True,
            tls=o.secure,
            pki_dir=self.pki.directory if self.pki else None,
        )
        self.world = World(config, pki=self.pki, timeout=120)
        self.adapter: VendorAdapter = load_adapter(
            o.adapter, o.target, self.url, self.world.verify, self.world.admin_headers
        )
        self.vendor: VendorInfo = self.adapter.info()
        if not o.hosted:
            self._register_vendor()
        if self.pki:
            self.admin.post(
                "/admin/register", json={"kind": "vendor", "id": STRANGER, "name": "Andere leverancier", "number": 91}
            ).raise_for_status()
        scheme = self.admin.get("/admin/zoeksleutel/scheme").json()
        self.adapter.setup(f"{self.url}/tc", scheme["scheme"], scheme["key"])
        self.adapter.reset()
        self.pupils = {p["label"]: p for p in self.admin.get("/admin/pupils").json()["pupils"]}
        self.clock_start = self.admin.get("/admin/clock").json()["now"]
        self.clock_settable = True
        self._second_aanleverpunt()

    def stop(self) -> None:
        for part in ("adapter", "world"):
            try:
                if hasattr(self, part):
                    getattr(self, part).close()
            except Exception:  # noqa: BLE001 - a run's teardown must not hide its results
                pass
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # --- the world, as the checks use it ------------------------------------------------------------

    @property
    def running(self) -> Running:
        return self.world.running

    @property
    def url(self) -> str:
        return self.world.url

    @property
    def admin(self) -> httpx.Client:
        return self.world.admin

    @property
    def soap(self) -> OsoClient:
        """The suite's own SOAP client, as the reference vendor."""
        return self.world.oso

    def client_as(self, vendor: str | None) -> OsoClient:
        return self.world.client_as(vendor)

    def _register_vendor(self) -> None:
        v = self.vendor
        self.admin.post("/admin/register", json={"kind": "vendor", "id": v.vendor, "name": v.name, "number": 90})
        for sector, school in {**v.doel, **v.bron}.items():
            if school.brin not in self.running.simulator.register.schools:
                self.admin.post(
                    "/admin/register",
                    json={
                        "kind": "school",
                        "brin": school.brin,
                        "sector": sector,
                        "vendor": v.vendor,
                        "name": v.name,
                        "endpoints": [{"routeringskenmerk": school.routeringskenmerk, "url": school.url}],
                    },
                )

    def _second_aanleverpunt(self) -> None:
        """The counterpart bron schools get a second aanleverpunt, so a doel must ask more than one."""
        for label in TRANSFERS:
            brin = self.pupils[label]["bron_brin"]
            if len(self.running.simulator.register.endpoints_of(brin)) < 2:
                self.admin.post("/admin/register", json={"kind": "endpoint-add", "brin": brin})

    # --- what the checks use -----------------------------------------------------------------------

    def reset(self) -> None:
        """Between checks: the clocks back to the start, no fault profile."""
        self.admin.post("/admin/clock", json={"set": self.clock_start})
        self.admin.post("/admin/faults", json={})
        if not self.options.hosted and self.clock_settable:
            try:
                self.adapter.set_clock(datetime.fromisoformat(self.clock_start))
            except NotSupported:
                self.clock_settable = False

    def set_clock(self, moment: str) -> None:
        """The simulator's clock and the LAS's; a check that needs this is skipped when the LAS's cannot be set."""
        self.admin.post("/admin/clock", json={"set": moment})
        if not self.options.hosted:
            try:
                self.adapter.set_clock(datetime.fromisoformat(moment))
            except NotSupported as exc:
                self.clock_settable = False
                pytest.skip(str(exc))

    def faults(self, toml: str) -> None:
        self.world.faults(toml)

    def mark(self) -> int:
        return self.world.mark()

    def messages(self, after: int) -> list[dict[str, Any]]:
        return self.world.messages(after)

    def session(self, sessie_id: str) -> dict[str, Any] | None:
        return self.world.session(sessie_id)

    def doel_school(self, transfer: str) -> School:
        return self.vendor.doel[SECTORS[transfer][1]]

    def bron_school(self, transfer: str) -> School:
        return self.vendor.bron[SECTORS[transfer][0]]

    def counterpart(self, sector: str) -> tuple[str, str]:
        """A reference school of this sector with its aanleverpunt: the other side of a transfer."""
        sim = self.running.simulator
        school = next(s for s in sim.register.schools.values() if s.vendor == REFERENCE and s.sector == sector)
        return school.brin, sim.register.endpoints_of(school.brin)[0].routeringskenmerk

    def zoeksleutel(self, pgn: str) -> t.ZoeksleutelPgnfrag:
        return self.world.zoeksleutel(pgn)
