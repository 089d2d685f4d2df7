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
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from conformance.adapter import AdapterError, School, VendorAdapter, VendorInfo, control_headers, load_adapter
from conformance.options import Prepare, RunOptions
from conformance.pupildata import Version
from oso import transport as t
from oso.profiles import DEFAULT_TRANSFERS, Role, TransferKind
from simulator.client import OsoClient
from simulator.mutants import vendor_under_test
from simulator.pki import Pki, PkiError, init_pki, issue_client_certificate
from simulator.register import REFERENCE
from simulator.server import Running
from simulator.service import VUT, Config
from simulator.testing import World

TRANSFERS = tuple(TransferKind)  # the bron role's kinds
DOEL_TRANSFERS = DEFAULT_TRANSFERS  # the doel role's (TransferKind.roles)
ROLES = tuple(Role)
SECTORS: dict[str, tuple[str, str]] = {kind: kind.sectors for kind in TransferKind}  # (bron, doel) per transfer
COHORT = {"povo": 30, "popo": 10, "vovo": 10, "binnenbrin": 5, "poswv": 5, "voswv": 5}
# scripted pupils (simulator/scenarios/default.toml) with an update after the eindtoets, at one bron school:
# the re-request checks use the first, the collective re-request all three
RE_REQUESTED = ("verzameldatum", "verzameldatum-2", "verzameldatum-3")
STRANGER = "andere-leverancier"  # a vendor with a certificate of the run's CA that no school mandated
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class Timeline:
    """The LAS's now when the run started, and the moments the suite dates what it prepares.

    Everything the suite prepares was prepared before that now, in the LAS's current school year
    (1 August - 31 July), so that the LAS's own clock, never set, finds it valid; a dossier that must
    have expired is prepared in the school year before. The LAS's clock is read from ``/info``
    (``now``), or taken to be the real one, and runs on from there (:meth:`current`).
    """

    now: datetime
    read_at: float = field(default_factory=monotonic, compare=False)  # when ``now`` was read

    def current(self) -> datetime:
        """The LAS's now at this moment: its now at the start and the time since (never before its clock)."""
        return (self.now + timedelta(seconds=monotonic() - self.read_at)).astimezone(AMSTERDAM)

    @property
    def school_year(self) -> int:
        """Y of the school year Y-(Y+1) the LAS is in."""
        local = self.now.astimezone(AMSTERDAM)
        return local.year if local.month >= 8 else local.year - 1

    def moment(self, fraction: float) -> datetime:
        """A moment of this school year before now: 0 is the first of August, 1 is now."""
        start = datetime(self.school_year, 8, 1, tzinfo=AMSTERDAM)
        return (start + (self.now - start) * fraction).astimezone(AMSTERDAM).replace(microsecond=0)

    def last_year(self) -> datetime:
        """Mid-June of the school year before: a dossier prepared then has expired (on 1 August)."""
        return datetime.combine(datetime(self.school_year, 6, 15).date(), time(10, 0), AMSTERDAM)


class Harness:
    def __init__(self, options: RunOptions, workdir: Path | None = None) -> None:
        self.options = options
        self.own_workdir = workdir is None  # a temporary one (with the run's test keys) is removed at stop
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="osokit-conformance-"))
        self.faulted = False  # a fault profile was put in force since the last reset

    def start(self) -> None:
        o = self.options
        self.pki = self._pki()
        config = Config(
            data_dir=self.workdir / "simulator",
            vut=vendor_under_test(str(o.target)) if o.target.hosted else None,
            cohort=COHORT,
            show_pgn=True,
            tls=o.secure,
            pki_dir=self.pki.directory if self.pki else None,
        )
        self.world = World(config, pki=self.pki, timeout=120, port=o.port)
        self.adapter: VendorAdapter = load_adapter(
            o.adapter,
            o.target,
            self.url,
            self.world.verify,
            o.timeout,
            self.world.admin_headers,
            control_headers(o.control_token_file),
        )
        self.vendor: VendorInfo = self.adapter.info()
        self.timeline = Timeline(self.vendor.now or datetime.now(AMSTERDAM))
        if self.pki and not o.target.hosted:
            check_vendor_certificate(self.pki, self.vendor.vendor)
        if not o.target.hosted:
            self._register_vendor()
        if self.pki:
            self.admin.post(
                "/admin/register", json={"kind": "vendor", "id": STRANGER, "name": "Andere leverancier", "number": 91}
            ).raise_for_status()
        scheme = self.admin.get("/admin/zoeksleutel/scheme").json()
        self.adapter.setup(f"{self.url}/tc", scheme["scheme"], scheme["key"])
        self.adapter.reset()
        self.pupils = {p["label"]: p for p in self.admin.get("/admin/pupils").json()["pupils"]}
        self.pgns = {p["pgn"] for p in self.pupils.values()}  # every pupil number the run gave the LAS
        self.clock_start = self.admin.get("/admin/clock").json()["now"]
        for label in RE_REQUESTED:
            self._date_first_version(label)
        self._second_aanleverpunt()

    def _pki(self) -> Pki | None:
        """The run's test PKI under TLS: a throw-away one for a hosted target (unless --pki-dir names one), the
        vendor's own for a URL target."""
        o = self.options
        if not o.secure:
            return None
        if o.target.hosted:
            return init_pki(o.pki_dir or self.workdir / "pki", [REFERENCE, VUT, STRANGER])
        return vendor_pki(o)

    def stop(self) -> None:
        for part in ("own_client", "adapter", "world"):
            try:
                if part in self.__dict__:
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

    @cached_property
    def own_client(self) -> OsoClient:
        """A SOAP client as the LAS's own vendor: the doel of a binnen-BRIN transfer is the bron school itself,
        which only its own vendor may speak for."""
        return self.client_as(self.vendor.vendor) if self.pki else self.world.client_as(None)

    def client_of_another_ca(self) -> OsoClient:
        """A SOAP client presenting a certificate for the counterpart schools' vendor, signed by a CA no
        party trusts: what a bron must refuse as it refuses no certificate."""
        assert self.pki is not None, "a certificate needs TLS"
        cert, key = issue_client_certificate(self.pki, REFERENCE, self.workdir / "other-ca", rogue_ca=True)
        return self.world.client_presenting(cert, key)

    def _register_vendor(self) -> None:
        v = self.vendor
        self.admin.post("/admin/register", json={"kind": "vendor", "id": v.vendor, "name": v.name, "number": 90})
        for sector, school in [*v.doel.items(), *v.bron.items()]:  # the doel and bron schools may differ
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

    def _date_first_version(self, label: str) -> None:
        """The counterpart bron prepared the pupil's first dossier (and dated it) earlier in the LAS's school
        year, so a doel that re-requests relative to that dossier's date is asking on its own clock."""
        first = self.timeline.moment(0.5)
        self.admin.post(f"/admin/pupils/{label}", json={"prepared": first.isoformat()}).raise_for_status()

    def _second_aanleverpunt(self) -> None:
        """The counterpart bron schools get a second aanleverpunt, so a doel must ask more than one."""
        for label in DOEL_TRANSFERS:
            brin = self.pupils[label]["bron_brin"]
            if len(self.running.simulator.register.endpoints_of(brin)) < 2:
                self.admin.post("/admin/register", json={"kind": "endpoint-add", "brin": brin})

    # --- what the checks use -----------------------------------------------------------------------

    def reset(self) -> None:
        """Between checks: the simulator's clock back to the start, no fault profile (the LAS's clock is
        never set: the suite dates what it prepares relative to it). The fault profile is cleared only when a
        check put one in force: a round trip fewer for most checks."""
        self.admin.post("/admin/clock", json={"set": self.clock_start})
        if self.faulted:
            self.admin.post("/admin/faults", json={})
            self.faulted = False

    def prepare_update(self, label: str) -> datetime:
        """A counterpart bron prepares the scripted pupil's update (after the eindtoets) now, on the LAS's
        clock: after whatever the LAS did before, whatever its clock says. The simulator's clock goes
        there too, so the bron offers the update (and it has not expired). The moment, for the words of
        a failure."""
        now = self.timeline.current()
        self.admin.post(f"/admin/pupils/{label}", json={"updated": now.isoformat()}).raise_for_status()
        self.admin.post("/admin/clock", json={"set": now.isoformat()}).raise_for_status()
        return now

    def prepare(self, transfer: str, state: str, versions: list[Version]) -> None:
        """Make the LAS hold a pupil as bron, the way the run prepares: pupil data (export) or dossier XML.

        Raises NotSupported when the adapter cannot."""
        bron, pgn = self.bron_school(transfer).brin, versions[0].pgn
        self.pgns.add(pgn)
        if self.options.prepare is Prepare.PASSTHROUGH:
            self.adapter.prepare(bron, pgn, state, [(v.prepared, v.xml) for v in versions])
        else:
            self.adapter.prepare_pupil(bron, pgn, state, [(v.prepared, v.data) for v in versions])

    def faults(self, toml: str) -> None:
        self.faulted = True
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


# --- mutual TLS with a vendor's LAS at a URL --------------------------------------------------------


def vendor_pki(options: RunOptions) -> Pki:
    """The test PKI a URL target's certificates come from (``--pki-dir``), completed with the suite's own:
    the counterpart schools' vendor (``reference``) and a vendor no school mandated (``STRANGER``)."""
    if options.pki_dir is None:
        raise AdapterError(
            "--tls on with a URL target needs --pki-dir DIR, the test PKI the LAS's certificates come from: "
            "osokit pki init --dir DIR --vendor <vendor id> (docs/conformance.md, Mutual TLS)"
        )
    try:
        Pki.load(options.pki_dir)
        return init_pki(options.pki_dir, [REFERENCE, STRANGER])
    except PkiError as exc:
        raise AdapterError(f"--pki-dir {options.pki_dir}: {exc}") from None


def check_vendor_certificate(pki: Pki, vendor: str) -> None:
    """The vendor that GET /info names has its certificate in the run's PKI, or every call it makes is refused."""
    try:
        cert = pki.vendor_cert(vendor)
    except PkiError as exc:
        raise AdapterError(f"GET /info names vendor {vendor!r}, which no test certificate can name: {exc}") from None
    if not cert.is_file():
        raise AdapterError(
            f"--pki-dir {pki.directory} has no certificate for vendor '{vendor}' (as GET /info names it): "
            f"osokit pki init --dir {pki.directory} --vendor {vendor}"
        )
