"""A second LAS, written from osokit's contract documents only, as a vendor new to OSO would.

It proves the documents are enough: docs/conformance.md, docs/transport.md, docs/glossary.md,
conformance/control-api.yaml, conformance/pupil.schema.json, the WSDL/XSD files and the official
gegevensset examples. It shares no code with osokit (no ``oso``, ``simulator``, ``conformance``
import) and runs on its real clock (or on CLEANROOM_NOW, given in /info). Where the documents leave a
choice it takes another one than osokit's reference LAS: routeringskenmerken of its own, booleans as
1/0, prefixed namespaces, a dossierVerzameldatum without timezone.

- As **bron** (schools 81AB po, 81AD vo) its aanleverpunt answers documentRequests: sessiecontrole at
  the Traffic Center first, then the dossier its own export makes (export.py) or a refusal.
- As **doel** (schools 81AA po, 81AC vo) it runs transfers when the control API asks: overdrachtRequest,
  a documentRequest to every aanleverpunt, checks and a three-step import, afmelding with the best result.

Run it: ``python -m uvicorn --app-dir tests/independent_las app:app --port 9000``, then
``osokit conformance run --target http://127.0.0.1:9000/control``. CLEANROOM_DEFECT=<one of DEFECTS>
gives it one deliberate defect.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import intake
import soap
from export import ExportError, SchoolConfig, export
from lxml import etree
from soap import OSO, Fault, M, Unreachable
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TZ = ZoneInfo("Europe/Amsterdam")
# The test environment's clock: the real time, or (CLEANROOM_NOW, an ISO date-time) a clock that started
# there when the app did, running on in real time. /info says its now either way.
START = os.environ.get("CLEANROOM_NOW")
_STARTED = (datetime.fromisoformat(START), time.monotonic()) if START else None
# One deliberate defect, for the test that shows the suite catches it (tests/conformance/test_independent_las.py).
DEFECTS = ("skip-sessiecontrole", "serve-other-pupil", "oldest-after-verzameldatum")
DEFECT = os.environ.get("CLEANROOM_DEFECT") or None
if DEFECT not in (None, *DEFECTS):
    raise SystemExit(f"CLEANROOM_DEFECT: {DEFECT!r} is none of {', '.join(DEFECTS)}")
VENDOR = "cleanroom"
# afmelding results, best first (docs/transport.md "Afmelding results")
RESULTS = (
    "OverdrachtGeslaagd",
    "GeenNieuwerDossier",
    "DossierNietGereed",
    "DossierNietToegestaan",
    "DossierVerlopen",
    "DossierNietGevonden",
    "AanleverpuntOnbereikbaar",
    "InterneFout",
)
STEPS = ("personalia", "schoolloopbaan", "ondersteuning")
TC_TIMEOUT, BRON_TIMEOUT = 10.0, 20.0


def _school(brin: str, name: str) -> SchoolConfig:
    # routeringskenmerk: our own 20 characters (docs/transport.md: opaque outside osokit's register). It
    # starts with 123456782, which passes the 11-proef: a number that is no pupil's must not count as a leak.
    return SchoolConfig(brin, name, f"1234567820{brin}000001", "Schoolstraat", "1", "3511AB", "Utrecht", "0301112233")


SCHOOLS = {
    ("doel", "po"): _school("81AA", "Cleanroom basisschool De Linde"),
    ("bron", "po"): _school("81AB", "Cleanroom basisschool Het Anker"),
    ("doel", "vo"): _school("81AC", "Cleanroom College Noord"),
    ("bron", "vo"): _school("81AD", "Cleanroom Lyceum Zuid"),
}
BY_RK = {s.routeringskenmerk: (role, s) for (role, _), s in SCHOOLS.items()}
BY_BRIN = {s.brin: (role, s) for (role, _), s in SCHOOLS.items()}


def now() -> datetime:
    if _STARTED:
        return (_STARTED[0] + timedelta(seconds=time.monotonic() - _STARTED[1])).astimezone(TZ)
    return datetime.now(TZ)


def expired(prepared: datetime, at: datetime) -> bool:
    """A dossier of school year Y-Y+1 (1 August to 31 July) expires on 1 August of Y+1."""
    local = prepared.astimezone(TZ)
    year = local.year if local.month >= 8 else local.year - 1
    return at >= datetime(year + 1, 8, 1, tzinfo=TZ)


class BadRequest(ValueError):
    """A control API call the LAS cannot act on: HTTP 400."""


def _instant(value: object, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(f"{what}: {value!r} is not an ISO date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


@dataclass
class Version:
    prepared: datetime
    dossier: bytes  # the dossier as klaargezet: our export of the pupil data, or the XML handed in


@dataclass
class Held:
    """A pupil this LAS holds as bron school."""

    pgn: str
    state: str
    versions: list[Version]


@dataclass
class Record:
    """A pupil this LAS imported as doel school: the three parts and how often each import step ran."""

    first_import: datetime
    parts: dict[str, object] = field(default_factory=dict)
    steps: dict[str, dict] = field(default_factory=dict)


@dataclass
class Las:
    tc_url: str | None = None
    scheme: str = "hmac-sha256"
    key: bytes = b""
    held: dict[tuple[str, str], Held] = field(default_factory=dict)
    records: dict[tuple[str, str], Record] = field(default_factory=dict)

    # -- zoeksleutel (docs/transport.md, docs/simulator.md "Zoeksleutels")

    def zoeksleutel(self, pgn: str) -> str:
        if self.scheme == "plain":
            return f"plain:{pgn}"
        digest = hmac.new(self.key, f"osokit-zoeksleutel/{pgn}".encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    # -- bron: the aanleverpunt answers a documentRequest

    async def document(self, client: httpx.AsyncClient, school: SchoolConfig, op: etree._Element) -> etree._Element:
        if self.tc_url is None:
            raise Fault("TijdelijkNietBeschikbaar", "this LAS has not been set up with a Traffic Center", "Server")
        route = ("bronBrin", "bronRouteringsKenmerk", "doelBrin", "doelRouteringsKenmerk")
        parts = [op.find(f"{{{OSO}}}{name}") for name in route] + [soap.sleutel(op)]
        parts += [op.find(f"{{{OSO}}}overdrachtsoort"), op.find(f"{{{OSO}}}sessieId")]
        control = M.sessiecontroleRequest(*map(copy.deepcopy, parts))
        try:  # before anything else; a refusal goes back to the doel with the TC's code unchanged
            if DEFECT == "skip-sessiecontrole":
                answer = M.sessiecontroleResponse(M.resultaat("SessieValide"))
            else:
                answer = await soap.call(client, self.tc_url, control, TC_TIMEOUT)
        except Unreachable as e:
            message = f"the Traffic Center did not answer the sessiecontrole: {e}"
            raise Fault("TijdelijkNietBeschikbaar", message, "Server") from None
        if soap.text(answer, "resultaat") != "SessieValide":
            raise Fault("InterneFout", f"sessiecontrole answered {soap.text(answer, 'resultaat')!r}", "Server")
        if soap.text(op, "bronRouteringsKenmerk") != school.routeringskenmerk:
            raise Fault("DossierNietGevonden", "this aanleverpunt is not the one the request names as bron")
        held = self._find(school.brin, op)
        if held.state == "not-ready":
            raise Fault("DossierNietGereed", "the dossier has not been prepared (klaargezet) yet")
        if held.state == "not-allowed":
            raise Fault("DossierNietToegestaan", "the parents have not seen the dossier: it may not go to this doel")
        at = now()
        versions = sorted((v for v in held.versions if v.prepared <= at), key=lambda v: v.prepared)
        if not versions:
            raise Fault("DossierNietGereed", "no dossier has been prepared yet")
        if (since := soap.text(op, "dossierVerzameldatum")) is not None:
            newer = [v for v in versions if v.prepared > _instant(since, "dossierVerzameldatum")]
            if not newer:
                raise Fault("GeenNieuwerDossier", f"no dossier was prepared after {since}")
            chosen = newer[0] if DEFECT == "oldest-after-verzameldatum" else newer[-1]
        else:
            chosen = versions[0]
        if expired(chosen.prepared, at):
            raise Fault("DossierVerlopen", f"the dossier prepared {chosen.prepared.date()} expired on 1 August")
        return M.documentResponse(M.resultaat("DossierVerstrekt"), soap.parse(chosen.dossier))

    def _find(self, brin: str, op: etree._Element) -> Held:
        key = soap.sleutel(op)
        candidates = [h for (b, _), h in self.held.items() if b == brin]
        if key.tag == f"{{{OSO}}}koppelsleutel":
            found = []  # this LAS starts no push transfers, so it issued no koppelsleutel
        elif (zk := soap.text(key, "zoeksleutel")) is not None:
            found = [h for h in candidates if hmac.compare_digest(self.zoeksleutel(h.pgn), zk)]
        else:
            found = [h for h in candidates if h.pgn.endswith(soap.text(key, "pgnfrag"))]
        if len(found) != 1:
            raise Fault("DossierNietGevonden", "this school holds no (single) pupil with this key")
        if DEFECT == "serve-other-pupil" and len(candidates) > 1:  # an off-by-one in the lookup
            return candidates[(candidates.index(found[0]) + 1) % len(candidates)]
        return found[0]

    # -- doel: one full transfer per pupil

    async def transfer(
        self,
        client: httpx.AsyncClient,
        doel: SchoolConfig,
        bron_brin: str,
        pgn: str,
        update: bool,
        soort: str,
        steps: tuple[str, ...] = STEPS,
    ) -> dict:
        sleutel = M.zoeksleutelPgnfrag(M.zoeksleutel(self.zoeksleutel(pgn)))
        request = M.overdrachtRequest(
            M.bronBrin(bron_brin),
            M.doelBrin(doel.brin),
            M.doelRouteringsKenmerk(doel.routeringskenmerk),
            sleutel,
            M.overdrachtsoort(soort),
        )
        try:
            granted = await soap.call(client, self.tc_url, request, TC_TIMEOUT)
        except (Fault, Unreachable) as e:  # no session: ask no bron, close nothing
            return {
                "sessie_id": None,
                "resultaat": getattr(e, "code", "AanleverpuntOnbereikbaar"),
                "imported": [],
                "problems": [str(e)],
            }
        sessie = soap.text(granted, "sessieId")
        record = self.records.get((doel.brin, pgn))
        since = record.first_import if update and record else None
        if since:  # in Dutch time, without a timezone: docs/transport.md says it is read so
            since = since.astimezone(TZ).replace(tzinfo=None)
        outcomes, problems = [], []
        for ap in granted.findall(f"{{{OSO}}}aanleverpunt"):
            rk = soap.text(ap, "routeringsKenmerk")
            ask = M.documentRequest(
                M.sessieId(sessie),
                M.bronBrin(soap.text(ap, "brin")),
                M.bronRouteringsKenmerk(rk),
                M.doelBrin(doel.brin),
                M.doelRouteringsKenmerk(doel.routeringskenmerk),
                copy.deepcopy(sleutel),
                M.overdrachtsoort(soort),
                *([M.dossierVerzameldatum(since.isoformat(timespec="seconds"))] if since else []),
            )
            outcomes.append((rk, *await self._fetch(client, soap.text(ap, "url"), ask, pgn, soort, problems)))
        # the best result; of equal results the aanleverpunt asked last
        rk, resultaat, dossier = min(reversed(outcomes), key=lambda o: RESULTS.index(o[1]))
        imported = self._import(doel.brin, pgn, dossier, steps) if dossier is not None else []
        close = M.afmeldingRequest(
            M.sessieId(sessie),
            M.bronRouteringsKenmerk(rk),
            M.doelRouteringsKenmerk(doel.routeringskenmerk),
            M.resultaat(resultaat),
        )
        try:
            await soap.call(client, self.tc_url, close, TC_TIMEOUT)
        except (Fault, Unreachable) as e:
            problems.append(f"afmelding: {e}")
        return {"sessie_id": sessie, "resultaat": resultaat, "imported": imported, "problems": problems}

    async def _fetch(
        self, client, url: str, ask: etree._Element, pgn: str, soort: str, problems: list[str]
    ) -> tuple[str, etree._Element | None]:
        """Ask one aanleverpunt: (result for the afmelding, the dossier if it may be imported)."""
        try:
            answer = await soap.call(client, url, ask, BRON_TIMEOUT)
        except Fault as f:
            problems.append(f"{url}: {f}")
            return (f.code if f.code in RESULTS else "InterneFout"), None
        except Unreachable as e:
            problems.append(str(e))
            return "AanleverpuntOnbereikbaar", None
        dossier = answer.find(f"{{{intake.DOSSIER}}}dossier")
        wrong = (
            ["the documentResponse carries no dossier"] if dossier is None else intake.problems(copy.deepcopy(dossier))
        )
        if not wrong and intake.pgn_of(dossier) != pgn:
            wrong = ["the dossier is of another pupil than the one asked for"]
        if not wrong and dossier.findtext(f"{{{intake.DOSSIER}}}overdrachtsoort") != soort:
            wrong = [f"the dossier is not the {soort} asked for"]
        if wrong:  # not imported; the bron's answer was of no use
            problems.extend(f"{url}: {w}" for w in wrong)
            return "InterneFout", None
        return "OverdrachtGeslaagd", dossier

    def _import(self, doel_brin: str, pgn: str, dossier: etree._Element, steps: tuple[str, ...]) -> list[str]:
        """The import steps asked for (all three unless one is re-run); a pupil imported before is updated,
        never added twice."""
        at = now()
        record = self.records.setdefault((doel_brin, pgn), Record(first_import=at))
        parts, datum = intake.parts(dossier), intake.datum(dossier)
        for step in steps:
            record.parts[step] = parts[step]
            done = record.steps.setdefault(step, {"times": 0})
            done.update(times=done["times"] + 1, dossier_datum=datum, updated=at.isoformat())
        return list(steps)

    def imported(self, doel_brin: str, pgn: str) -> dict | None:
        record = self.records.get((doel_brin, pgn))
        return None if record is None else {"records": 1, "steps": record.steps, "all_steps": list(STEPS)}


LAS = Las()
CLIENT: httpx.AsyncClient | None = None


def _client() -> httpx.AsyncClient:
    global CLIENT
    if CLIENT is None:
        CLIENT = httpx.AsyncClient()
    return CLIENT


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body is not a JSON object")
    return body


def _need(body: dict, name: str, kind: type = str) -> object:
    if not isinstance(body.get(name), kind):
        raise BadRequest(f"{name}: required, a {kind.__name__}")
    return body[name]


# -- the control API (conformance/control-api.yaml)


async def info(request: Request) -> JSONResponse:
    base = str(request.base_url).rstrip("/")

    def school(s: SchoolConfig) -> dict:
        return {"brin": s.brin, "routeringskenmerk": s.routeringskenmerk, "url": f"{base}/oso/{s.routeringskenmerk}"}

    return JSONResponse(
        {
            "vendor": VENDOR,
            "name": "Cleanroom LAS (written from the osokit documents only)",
            "doel": {sector: school(SCHOOLS["doel", sector]) for sector in ("po", "vo")},
            "bron": {sector: school(SCHOOLS["bron", sector]) for sector in ("po", "vo")},
        }
        | ({"now": now().isoformat()} if START else {})
    )


async def setup(request: Request) -> Response:
    body = await _json(request)
    scheme = _need(body, "zoeksleutel_scheme")
    if scheme not in ("hmac-sha256", "plain"):
        raise BadRequest(f"zoeksleutel_scheme: {scheme!r} is not hmac-sha256 or plain")
    try:
        key = bytes.fromhex(_need(body, "zoeksleutel_key"))
    except ValueError:
        raise BadRequest("zoeksleutel_key: not hex") from None
    LAS.tc_url, LAS.scheme, LAS.key = _need(body, "tc_url"), scheme, key
    return Response(status_code=204)


def _my(brin: object, role: str) -> SchoolConfig:
    found = BY_BRIN.get(brin)
    if found is None or found[0] != role:
        raise BadRequest(f"{brin!r} is not one of this LAS's {role} schools")
    return found[1]


async def transfers(request: Request) -> JSONResponse:
    body = await _json(request)
    doel = _my(body.get("doel_brin"), "doel")
    bron_brin, pgns = _need(body, "bron_brin"), _need(body, "pgns", list)
    if LAS.tc_url is None:
        raise BadRequest("PUT /setup first: this LAS does not know its Traffic Center yet")
    update, soort = bool(body.get("update", False)), body.get("overdrachtsoort") or "overstapdossier"
    steps = body.get("steps") or list(STEPS)
    if not isinstance(steps, list) or any(step not in STEPS for step in steps):
        raise BadRequest(f"steps: a list of {', '.join(STEPS)}")
    results = [
        await LAS.transfer(_client(), doel, bron_brin, str(pgn), update, soort, tuple(dict.fromkeys(steps)))
        for pgn in pgns
    ]
    return JSONResponse({"transfers": results})


async def imports(request: Request) -> JSONResponse:
    body = await _json(request)
    found = LAS.imported(str(_need(body, "doel_brin")), str(_need(body, "pgn")))
    return _error(404, "nothing imported of this pupil") if found is None else JSONResponse(found)


def _versions(body: dict, make) -> list[Version]:
    versions = _need(body, "versions", list)
    if not versions:
        raise BadRequest("versions: at least one")
    return [Version(_instant(v.get("prepared"), f"versions[{i}].prepared"), make(v, i)) for i, v in enumerate(versions)]


def _hold(body: dict, make) -> Response:
    school = _my(body.get("bron_brin"), "bron")
    state = _need(body, "state")
    if state not in ("ready", "not-ready", "not-allowed"):
        raise BadRequest(f"state: {state!r} is not ready, not-ready or not-allowed")
    pgn = _need(body, "pgn")
    LAS.held[school.brin, pgn] = Held(pgn, state, _versions(body, lambda v, i: make(school, pgn, v, i)))
    return Response(status_code=204)


async def pupils(request: Request) -> Response:
    """Export mode: hold the pupil's data and klaarzet each version with our own export."""

    def make(school: SchoolConfig, pgn: str, v: dict, i: int) -> bytes:
        pupil = v.get("pupil")
        personalia = pupil.get("personalia", {}) if isinstance(pupil, dict) else {}
        if pgn not in (personalia.get("bsn"), personalia.get("onderwijsnummer")):
            raise BadRequest(f"versions[{i}].pupil.personalia: its BSN or onderwijsnummer is not pgn {pgn}")
        try:
            return etree.tostring(export(pupil, _instant(v.get("prepared"), "prepared"), school))
        except ExportError as e:
            raise BadRequest(f"versions[{i}].pupil: {e}") from None

    return _hold(await _json(request), make)


async def dossiers(request: Request) -> Response:
    """Passthrough mode: hold the dossier XML as given."""

    def make(school: SchoolConfig, pgn: str, v: dict, i: int) -> bytes:
        try:
            return etree.tostring(soap.parse(_need(v, "dossier")))
        except Fault as f:
            raise BadRequest(f"versions[{i}].dossier: {f.melding}") from None

    return _hold(await _json(request), make)


async def reset(request: Request) -> Response:
    LAS.held.clear()
    LAS.records.clear()
    return Response(status_code=204)


async def clock(request: Request) -> JSONResponse:
    return _error(404, "this test environment runs on its real clock; it cannot be set")


# -- the aanleverpunten (aanleverpunt.wsdl): documentRequest as bron, notificatie/terugkoppeling as doel


async def aanleverpunt(request: Request) -> Response:
    if request.method != "POST":
        return JSONResponse({"code": "MethodeNietToegestaan", "message": "use POST for SOAP"}, status_code=405)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("text/xml", "application/xml", "application/soap+xml"):
        return JSONResponse({"code": "GeenSoapVerzoek", "message": "the content type is not text/xml"}, status_code=415)
    try:
        op = soap.read_request(await request.body(), soap.AANLEVERPUNT_OPERATIONS)
        role, school = BY_RK.get(request.path_params["rk"], (None, None))
        name = etree.QName(op).localname
        if school is None:
            raise Fault("DoelOnbekend", "no aanleverpunt of this LAS has this routeringskenmerk")
        if name == "documentRequest":
            answer = await LAS.document(_client(), school, op)
        elif role != "doel" or soap.text(op, "doelRouteringsKenmerk") != school.routeringskenmerk:
            raise Fault("DoelOnbekend", "this endpoint does not accept messages for that doel")
        elif name == "notificatieRequest":  # a dossier is waiting: noted, fetched when the school asks
            answer = M.notificatieResponse(M.resultaat("NotificatieOntvangen"))
        else:
            answer = M.terugkoppelingResponse(M.resultaat("TerugkoppelingOntvangen"))
        status, content = 200, soap.envelope(answer)
    except Fault as f:
        status, content = 500, soap.fault_envelope(f)
    except Exception as e:  # never a traceback on the wire
        status, content = 500, soap.fault_envelope(Fault("InterneFout", f"{type(e).__name__}", "Server"))
    return Response(content, status_code=status, media_type="text/xml; charset=utf-8")


def _guarded(handler):
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except BadRequest as e:
            return _error(400, str(e))

    return wrapped


app = Starlette(
    routes=[
        Route("/control/info", _guarded(info), methods=["GET"]),
        Route("/control/setup", _guarded(setup), methods=["PUT"]),
        Route("/control/transfers", _guarded(transfers), methods=["POST"]),
        Route("/control/imports", _guarded(imports), methods=["POST"]),
        Route("/control/pupils", _guarded(pupils), methods=["POST"]),
        Route("/control/dossiers", _guarded(dossiers), methods=["POST"]),
        Route("/control/reset", _guarded(reset), methods=["POST"]),
        Route("/control/clock", clock, methods=["PUT"]),
        Route("/oso/{rk}", aanleverpunt, methods=["GET", "POST"]),
    ]
)
