"""The register (OSR): schools, vendors, mandates and aanleverpunten, and the scenario file that fills it.

A school (BRIN) mandates one vendor; the vendor serves the school's aanleverpunten, each addressed
by a 20-character routeringskenmerk and a URL. ``url = "reference"`` means the built-in reference
LAS answers at ``/schools/<routeringskenmerk>`` on the simulator itself.

A scenario is a TOML file: settings, the synthetic school register of the fixtures (by region),
extra schools and vendors (a vendor's LAS under test), scripted test pupils and the size of the
generated cohort. ``simulator/scenarios/default.toml`` is the one that ships.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from fixtures import pools
from fixtures.generator import Size
from oso.calendar import Region
from oso.errors import UserError
from oso.identifiers import is_valid_brin, is_valid_routeringskenmerk, is_valid_vestigingscode
from oso.profiles import Profile
from simulator.calendar import RegionDates
from simulator.pki import ADMIN

REFERENCE = "reference"  # the vendor id and URL marker of the built-in reference LAS
SECTORS = ("po", "vo", "so", "swv")
DEFAULT_SCENARIO = Path(__file__).parent / "scenarios" / "default.toml"
_VENDOR_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class ScenarioError(UserError, ValueError):
    """A scenario that cannot be used; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str
    number: int  # the first ten digits of its routeringskenmerken


@dataclass(frozen=True)
class Endpoint:
    """An aanleverpunt."""

    routeringskenmerk: str
    brin: str
    vendor: str
    url: str  # "reference" or the vendor's absolute URL
    doel: str = "LAS"
    active: bool = True

    @property
    def reference(self) -> bool:
        return self.url == REFERENCE


@dataclass(frozen=True)
class School:
    brin: str
    vestiging: str
    name: str
    sector: str
    region: str
    vendor: str  # the mandated vendor
    active: bool = True


@dataclass(frozen=True)
class ScriptedPupil:
    """A test pupil with a known story (the kind Kennisnet's sandbox school offers)."""

    label: str
    profile: Profile
    size: Size = Size.OPT_OUT
    case: str | None = None
    state: str = "ready"  # ready | not-ready | not-allowed
    versions: int = 1  # 2: a second dossier after the eindtoets (verzameldatum logic)
    invalid: bool = False  # an old dossier that fails the schema and the rules
    prepared: datetime | None = None  # klaargezet on this date (default: the dossier's own date)
    updated: datetime | None = None  # with versions = 2: the second one klaargezet then (default: its own date)
    beside: str | None = None  # at the same bron school as this earlier pupil (a collective request's batch)
    mistake: str | None = None  # a scripted mistake of the counterpart bron (MISTAKES), for the doel's checks


# What a counterpart bron may be scripted to get wrong for one pupil: the doel must refuse what comes.
ANOTHER_KIND = "another-kind"  # it serves the pupil's dossier as another overdrachtsoort (binnen-BRIN)
ANOTHER_PUPIL = "another-pupil"  # it serves the dossier of another pupil of the school
MISTAKES = (ANOTHER_KIND, ANOTHER_PUPIL)


@dataclass(frozen=True)
class Settings:
    clock_start: datetime | None = None
    session_ttl_minutes: int = 240
    dossier_expiry: str = "08-01"  # MM-DD: dossiers of a school year expire on this day after it
    seed: int = 0
    cohort: dict[Profile, int] = field(default_factory=dict)
    calendar: dict[Region, RegionDates] = field(default_factory=dict)  # the scenario's own dates


@dataclass
class Register:
    vendors: dict[str, Vendor] = field(default_factory=dict)
    schools: dict[str, School] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)

    def endpoints_of(self, brin: str, *, active_only: bool = True) -> list[Endpoint]:
        return [e for e in self.endpoints.values() if e.brin == brin and (e.active or not active_only)]

    def mandated(self, vendor: str, brin: str) -> bool:
        school = self.schools.get(brin)
        return school is not None and school.vendor == vendor

    def add_vendor(self, vendor: Vendor) -> None:
        self.vendors[vendor.id] = vendor

    def add_school(self, school: School, endpoints: list[Endpoint]) -> None:
        if school.vendor not in self.vendors:
            raise ScenarioError(f"school {school.brin}: vendor '{school.vendor}' is not in the register")
        self.schools[school.brin] = school
        for e in endpoints:
            self.endpoints[e.routeringskenmerk] = e

    def apply(self, change: RegisterChange) -> None:
        if isinstance(change, NewVendor):
            self.add_vendor(change.vendor)
        elif isinstance(change, NewSchool):
            self.add_school(change.school, list(change.endpoints))
        elif isinstance(change, EndpointSwitch):
            self.set_endpoint_active(change.routeringskenmerk, change.active)
        else:
            self.endpoints[change.endpoint.routeringskenmerk] = change.endpoint

    def set_endpoint_active(self, routeringskenmerk: str, active: bool) -> Endpoint:
        endpoint = replace(self.endpoints[routeringskenmerk], active=active)
        self.endpoints[routeringskenmerk] = endpoint
        return endpoint

    def snapshot(self) -> tuple[dict[str, Vendor], dict[str, School], dict[str, Endpoint]]:
        return dict(self.vendors), dict(self.schools), dict(self.endpoints)

    def restore(self, snapshot: tuple[dict[str, Vendor], dict[str, School], dict[str, Endpoint]]) -> None:
        """Back to a :meth:`snapshot`, in place (others hold these dicts)."""
        vendors, schools, endpoints = snapshot
        self.vendors.clear()
        self.vendors.update(vendors)
        self.schools.clear()
        self.schools.update(schools)
        self.endpoints.clear()
        self.endpoints.update(endpoints)

    def as_dict(self) -> dict[str, Any]:
        return {
            "vendors": [vars_of(v) for v in self.vendors.values()],
            "schools": [
                vars_of(s) | {"endpoints": [vars_of(e) for e in self.endpoints_of(s.brin, active_only=False)]}
                for s in self.schools.values()
            ],
        }


def vars_of(obj: object) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__}  # type: ignore[attr-defined]


def routeringskenmerk(vendor: Vendor, brin: str, vestiging: str, n: int = 1) -> str:
    """osokit's shape: 10 digits of vendor number, BRIN, vestiging, 4 digits of endpoint number."""
    return f"{vendor.number:010d}{brin}{vestiging}{n:04d}"


@dataclass(frozen=True)
class Scenario:
    source: str
    settings: Settings
    register: Register
    pupils: tuple[ScriptedPupil, ...]


def _fail(source: str, where: str, message: str) -> ScenarioError:
    return ScenarioError(f"{source}: {where}: {message}")


def _take(table: dict[str, Any], allowed: set[str], source: str, where: str) -> dict[str, Any]:
    unknown = set(table) - allowed
    if unknown:
        raise _fail(
            source, where, f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}"
        )
    return table


def _datetime(value: Any, source: str, where: str) -> datetime:
    moment = value if isinstance(value, datetime) else None
    if moment is None and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise _fail(source, where, f"{value!r} is not a date-time with a timezone (e.g. 2026-03-02T09:00:00+01:00)")
    return moment


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    _take(data, {"settings", "register", "vendor", "school", "pupil"}, source, "top level")
    settings = _settings(data.get("settings", {}), source)
    register = Register()
    register.add_vendor(Vendor(REFERENCE, "osokit reference LAS (built in)", 1))
    for i, raw in enumerate(data.get("vendor", []), start=1):
        where = f"vendor {i}"
        v = _take(raw, {"id", "name", "number"}, source, where)
        if refused := vendor_id_refused(v.get("id")):
            raise _fail(source, where, refused)
        if v["id"] in register.vendors:
            raise _fail(source, where, f"vendor id '{v['id']}' is used twice")
        register.add_vendor(Vendor(v["id"], str(v.get("name", v["id"])), int(v.get("number", 100 + i))))
    regions = data.get("register", {}).get("synthetic_regions", [])
    _take(data.get("register", {}), {"synthetic_regions"}, source, "register")
    reference = register.vendors[REFERENCE]
    for s in pools.schools_per_region():
        if s.region in regions:
            school = School(s.brin, s.vestiging, s.name, s.sector if s.soort != "SO" else "so", s.region, REFERENCE)
            register.add_school(
                school, [Endpoint(routeringskenmerk(reference, s.brin, s.vestiging), s.brin, REFERENCE, REFERENCE)]
            )
    for school in swv_schools(regions):
        endpoint = routeringskenmerk(reference, school.brin, school.vestiging)
        register.add_school(school, [Endpoint(endpoint, school.brin, REFERENCE, REFERENCE, doel="SWV")])
    for i, raw in enumerate(data.get("school", []), start=1):
        _school(raw, register, source, f"school {i}")
    pupils = tuple(_pupil(raw, source, f"pupil {i}") for i, raw in enumerate(data.get("pupil", []), start=1))
    if len({p.label for p in pupils}) != len(pupils):
        raise _fail(source, "pupil", "labels must be unique")
    for i, p in enumerate(pupils):
        earlier = {q.label: q.profile for q in pupils[:i]}
        if p.beside is not None and earlier.get(p.beside) is not p.profile:
            raise _fail(source, f"pupil {i + 1}", f"beside '{p.beside}' must name an earlier {p.profile} pupil")
    return Scenario(source, settings, register, pupils)


def swv_schools(regions: list[str]) -> list[School]:
    """A samenwerkingsverband Passend Onderwijs per region (sector swv): the doel of a swv-dossier."""
    return [
        School(f"{70 + n}SW", "00", f"Samenwerkingsverband Passend Onderwijs {region}", "swv", region, REFERENCE)
        for n, region in enumerate(pools.REGIONS)
        if region in regions
    ]


def _settings(raw: dict[str, Any], source: str) -> Settings:
    known = {"clock_start", "session_ttl_minutes", "dossier_expiry", "seed", "cohort", "calendar"}
    s = _take(raw, known, source, "settings")
    cohort = {}
    for name, count in s.get("cohort", {}).items():
        try:
            cohort[Profile(name)] = int(count)
        except ValueError:
            raise _fail(source, "settings.cohort", f"'{name}' is not a profile ({', '.join(Profile)})") from None
    expiry = str(s.get("dossier_expiry", "08-01"))
    if not re.fullmatch(r"(0[1-9]|1[0-2])-([0-2][0-9]|3[01])", expiry):
        raise _fail(source, "settings.dossier_expiry", f"'{expiry}' is not MM-DD")
    return Settings(
        clock_start=_datetime(s["clock_start"], source, "settings.clock_start") if "clock_start" in s else None,
        session_ttl_minutes=int(s.get("session_ttl_minutes", 240)),
        dossier_expiry=expiry,
        seed=int(s.get("seed", 0)),
        cohort=cohort,
        calendar=dict(_calendar(raw, source, name) for name, raw in s.get("calendar", {}).items()),
    )


def _calendar(raw: Any, source: str, name: str) -> tuple[Region, RegionDates]:
    """``[settings.calendar.<region>]``: ``klaarzetten``, ``ophalen = [from, to]``, ``zomervakantie`` (dates)."""
    where = f"settings.calendar.{name}"
    try:
        region = Region(name)
    except ValueError:
        raise _fail(source, where, f"'{name}' is not a holiday region (noord, midden, zuid)") from None
    if not isinstance(raw, dict):
        raise _fail(source, where, "a table with klaarzetten, ophalen and zomervakantie")
    c = _take(raw, {"klaarzetten", "ophalen", "zomervakantie"}, source, where)
    for key in ("klaarzetten", "zomervakantie"):
        if key in c and type(c[key]) is not date:
            raise _fail(source, f"{where}.{key}", f"{c[key]!r} is not a date (YYYY-MM-DD, no quotes)")
    window = c.get("ophalen")
    if window is not None and not (
        isinstance(window, list)
        and len(window) == 2
        and all(type(d) is date for d in window)
        and window[0] <= window[1]
    ):
        raise _fail(source, f"{where}.ophalen", "give [first day, last day] as dates")
    ophalen = (window[0], window[1]) if window else None
    dates = RegionDates(c.get("klaarzetten"), ophalen, c.get("zomervakantie"))
    if dates.school_year is None:
        raise _fail(source, where, "give the dates of one school year (1 August to 31 July)")
    return region, dates


def _school(raw: dict[str, Any], register: Register, source: str, where: str) -> None:
    s = _take(raw, {"brin", "vestiging", "name", "sector", "region", "vendor", "endpoint"}, source, where)
    brin, vestiging = str(s.get("brin", "")), str(s.get("vestiging", "00"))
    if not is_valid_brin(brin) or not is_valid_vestigingscode(vestiging):
        raise _fail(source, where, f"brin '{brin}' / vestiging '{vestiging}' are not a BRIN (00YY) and two digits")
    if s.get("sector", "po") not in SECTORS:
        raise _fail(source, where, f"sector must be one of {', '.join(SECTORS)}")
    vendor = str(s.get("vendor", REFERENCE))
    if vendor not in register.vendors:
        raise _fail(source, where, f"vendor '{vendor}' is not declared in a [[vendor]] table")
    endpoints = []
    for j, e in enumerate(s.get("endpoint", []) or [{}], start=1):
        e = _take(e, {"routeringskenmerk", "url", "doel", "active"}, source, f"{where} endpoint {j}")
        rk = str(e.get("routeringskenmerk") or routeringskenmerk(register.vendors[vendor], brin, vestiging, j))
        if not is_valid_routeringskenmerk(rk):
            raise _fail(source, f"{where} endpoint {j}", f"routeringskenmerk '{rk}' is not 20 characters [0-9A-Z]")
        url = str(e.get("url", REFERENCE))
        if not is_endpoint_url(url):
            raise _fail(source, f"{where} endpoint {j}", f"url '{url}' must be http(s)://... or \"reference\"")
        endpoints.append(Endpoint(rk, brin, vendor, url, str(e.get("doel", "LAS")), bool(e.get("active", True))))
    register.add_school(
        School(
            brin, vestiging, str(s.get("name", brin)), str(s.get("sector", "po")), str(s.get("region", "-")), vendor
        ),
        endpoints,
    )


def vendor_id_refused(text: object) -> str | None:
    """Why ``text`` cannot be a vendor id, or None. The admin certificate's name is not one: a vendor
    holding a certificate by that name would be the admin (simulator/access.py)."""
    if text == ADMIN:
        return f"'{ADMIN}' is the admin certificate's name, not a vendor id"
    if not isinstance(text, str) or _VENDOR_ID.fullmatch(text) is None:
        return "a vendor id is lowercase letters, digits and dashes, e.g. vendor-a"
    return None


def is_endpoint_url(text: object) -> bool:
    """An aanleverpunt's URL: a vendor's http(s) endpoint, or ``reference`` for the built-in LAS."""
    return text == REFERENCE or (isinstance(text, str) and re.match(r"https?://[^/\s]+", text) is not None)


def _pupil(raw: dict[str, Any], source: str, where: str) -> ScriptedPupil:
    known = {"label", "profile", "size", "case", "state", "versions", "invalid", "prepared", "updated", "beside"}
    p = _take(raw, {*known, "mistake"}, source, where)
    try:
        profile, size = Profile(p.get("profile", "")), Size(p.get("size", "opt-out"))
    except ValueError as exc:
        raise _fail(source, where, str(exc)) from None
    if p.get("state", "ready") not in ("ready", "not-ready", "not-allowed"):
        raise _fail(source, where, "state must be ready, not-ready or not-allowed")
    if "label" not in p:
        raise _fail(source, where, "every pupil needs a label")
    if p.get("mistake") not in (None, *MISTAKES):
        raise _fail(source, where, f"mistake must be {' or '.join(MISTAKES)}")
    return ScriptedPupil(
        label=str(p["label"]),
        profile=profile,
        size=size,
        case=p.get("case"),
        state=str(p.get("state", "ready")),
        versions=int(p.get("versions", 1)),
        invalid=bool(p.get("invalid", False)),
        prepared=_datetime(p["prepared"], source, f"{where}.prepared") if "prepared" in p else None,
        updated=_datetime(p["updated"], source, f"{where}.updated") if "updated" in p else None,
        beside=str(p["beside"]) if "beside" in p else None,
        mistake=p.get("mistake"),
    )


def load_scenario(path: Path | None) -> Scenario:
    path = path or DEFAULT_SCENARIO
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); write TOML") from None
    return parse_scenario(text, str(path))


# --- changes through the admin API ---------------------------------------------------------------


class ChangeRefused(ScenarioError):
    """A register change that cannot apply; ``missing``: it names something the register does not have."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class NewVendor:
    vendor: Vendor
    kind: ClassVar[str] = "vendor"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind} | vars_of(self.vendor)


@dataclass(frozen=True)
class NewSchool:
    school: School
    endpoints: tuple[Endpoint, ...]
    kind: ClassVar[str] = "school"

    def as_dict(self) -> dict[str, Any]:
        school = {k: v for k, v in vars_of(self.school).items() if k != "active"}
        endpoints = [{k: getattr(e, k) for k in ("routeringskenmerk", "url", "doel", "active")} for e in self.endpoints]
        return {"kind": self.kind} | school | {"endpoints": endpoints}


@dataclass(frozen=True)
class EndpointSwitch:
    routeringskenmerk: str
    active: bool
    kind: ClassVar[str] = "endpoint"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "routeringskenmerk": self.routeringskenmerk, "active": self.active}


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: Endpoint
    kind: ClassVar[str] = "endpoint-add"

    def as_dict(self) -> dict[str, Any]:
        e = self.endpoint
        return {
            "kind": self.kind,
            "brin": e.brin,
            "routeringskenmerk": e.routeringskenmerk,
            "url": e.url,
            "doel": e.doel,
        }


RegisterChange = NewVendor | NewSchool | EndpointSwitch | NewEndpoint
CHANGE_KINDS = ("vendor", "school", "endpoint", "endpoint-add")


def parse_change(data: Any, register: Register) -> RegisterChange:
    """A change as the admin API takes it (JSON with a ``kind``), checked against ``register`` and
    completed (a new aanleverpunt's routeringskenmerk, say), or ChangeRefused saying what is wrong."""
    if not isinstance(data, dict):
        raise ChangeRefused("a register change is a JSON object with a kind")
    kind = data.get("kind")
    if kind == "vendor":
        if refused := vendor_id_refused(data.get("id")):
            raise ChangeRefused(refused)
        if not isinstance(data.get("number"), int) or isinstance(data.get("number"), bool):
            raise ChangeRefused("a vendor needs a number (an integer: its part of the routeringskenmerk)")
        change = stored_change(data, register)
        known = register.vendors.get(data["id"])
        if known is not None and known != change.vendor:  # type: ignore[union-attr]
            raise ChangeRefused(f"vendor '{data['id']}' exists with another name or number")
        numbered = {v.number: v.id for v in register.vendors.values() if v.id != data["id"]}
        other = numbered.get(data["number"])
        if other is not None:
            raise ChangeRefused(f"number {data['number']} is vendor '{other}''s")
        return change
    if kind == "school":
        brin, vestiging, vendor = (
            str(data.get("brin", "")),
            str(data.get("vestiging", "00")),
            data.get("vendor", REFERENCE),
        )
        if not is_valid_brin(brin) or not is_valid_vestigingscode(vestiging):
            raise ChangeRefused(f"brin '{brin}' / vestiging '{data.get('vestiging')}' are not 00YY and 2 digits")
        if data.get("sector", "po") not in SECTORS:
            raise ChangeRefused(f"sector must be one of {', '.join(SECTORS)}")
        if vendor not in register.vendors:
            raise ChangeRefused(f"vendor '{vendor}' is not in the register: add it first")
        if brin in register.schools and register.schools[brin].vendor != vendor:
            raise ChangeRefused(f"school {brin} is vendor '{register.schools[brin].vendor}''s")
        endpoints = data.get("endpoints") or [{}]
        if not isinstance(endpoints, list) or not all(isinstance(e, dict) for e in endpoints):
            raise ChangeRefused("endpoints must be a list of objects {url, routeringskenmerk, doel, active}")
        completed = []
        for n, e in enumerate(endpoints, start=1):
            rk = e.get("routeringskenmerk") or routeringskenmerk(register.vendors[vendor], brin, vestiging, n)
            if not is_valid_routeringskenmerk(rk):
                raise ChangeRefused(f"routeringskenmerk '{rk}' is not 20 chars [0-9A-Z]")
            taken = register.endpoints.get(rk)
            if taken is not None and taken.brin != brin:
                raise ChangeRefused(f"routeringskenmerk '{rk}' is an aanleverpunt of {taken.brin}")
            if not is_endpoint_url(e.get("url", REFERENCE)):
                raise ChangeRefused(f"endpoint {n}: url '{e.get('url')}' must be http(s)://... or \"reference\"")
            completed.append(e | {"routeringskenmerk": rk})
        return stored_change(data | {"vendor": vendor, "endpoints": completed}, register)
    if kind == "endpoint":
        if data.get("routeringskenmerk") not in register.endpoints:
            raise ChangeRefused("no such routeringskenmerk", missing=True)
        if not isinstance(data.get("active"), bool):
            raise ChangeRefused("an endpoint change needs active: true or false")
        return stored_change(data, register)
    if kind == "endpoint-add":
        brin = str(data.get("brin"))
        if brin not in register.schools:
            raise ChangeRefused(f"no school {brin}")
        if not is_endpoint_url(data.get("url", REFERENCE)):
            raise ChangeRefused(f"url '{data.get('url')}' must be http(s)://... or \"reference\"")
        school = register.schools[brin]
        n = len(register.endpoints_of(brin, active_only=False)) + 1
        rk = data.get("routeringskenmerk") or routeringskenmerk(
            register.vendors[school.vendor], brin, school.vestiging, n
        )
        if rk in register.endpoints:
            raise ChangeRefused("that routeringskenmerk exists")
        return stored_change(data | {"routeringskenmerk": rk}, register)
    raise ChangeRefused(f"kind must be {', '.join(CHANGE_KINDS[:-1])} or {CHANGE_KINDS[-1]}")


def stored_change(data: dict[str, Any], register: Register) -> RegisterChange:
    """A change as the store keeps it, from this version of osokit or an earlier one: checked when it
    was made, so only completed with the defaults."""
    kind = data["kind"]
    if kind == "vendor":
        return NewVendor(Vendor(data["id"], data.get("name", data["id"]), int(data["number"])))
    if kind == "school":
        school = School(
            data["brin"],
            data.get("vestiging", "00"),
            data.get("name", data["brin"]),
            data.get("sector", "po"),
            data.get("region", "-"),
            data["vendor"],
        )
        return NewSchool(
            school,
            tuple(
                Endpoint(
                    e["routeringskenmerk"],
                    school.brin,
                    school.vendor,
                    e.get("url", REFERENCE),
                    e.get("doel", "LAS"),
                    e.get("active", True),
                )
                for e in data["endpoints"]
            ),
        )
    if kind == "endpoint":
        return EndpointSwitch(data["routeringskenmerk"], bool(data["active"]))
    school = register.schools[data["brin"]]
    return NewEndpoint(
        Endpoint(
            data["routeringskenmerk"], school.brin, school.vendor, data.get("url", REFERENCE), data.get("doel", "LAS")
        )
    )
