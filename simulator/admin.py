"""The admin API (JSON under /admin/): inspect sessions and the evidence log, change the register and
the clock, get zoeksleutels, and make the reference LAS act as doel. The conformance suite and the
load tests drive the simulator through it; ``GET /admin/`` lists the endpoints.

Errors are ``{"error": "..."}`` with HTTP 400 (bad input, naming the field), 404 (not found) or 413 (too
large); bodies are read and validated once, at the edge (:mod:`simulator.validation`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from oso.faults import CATALOGUE, OsoFault
from oso.identifiers import is_valid_brin, pupil_number_kind
from oso.profiles import Profile
from oso.session import Session
from simulator.access import sees_message, sees_session
from simulator.faultinject import FaultProfile, FaultProfileError
from simulator.pupils import Pupil
from simulator.register import REFERENCE, ChangeRefused, ScenarioError, parse_change
from simulator.service import Simulator
from simulator.validation import (
    MAX_FAULT_RULES,
    AdminTransfers,
    BadRequest,
    ClockChange,
    FaultProfileChange,
    Notify,
    PupilDating,
    Zoeksleutels,
    path_id,
    read_json,
    read_object,
    register_change,
)


def _session_dict(s: Session) -> dict[str, Any]:
    g = s.granted
    return {
        "sessie_id": s.sessie_id,
        "state": s.state.value,
        "overdrachtsoort": g.overdrachtsoort,
        "bron_brin": g.bron_brin,
        "doel_brin": g.doel_brin,
        "doel_rk": g.doel_rk,
        "bron_rk": g.bron_rk,
        "sleutel_kind": g.sleutel.split(":", 1)[0],
        "created": s.created.isoformat(),
        "last_seen": s.last_seen.isoformat(),
        "controles": s.controles,
        "resultaat": s.resultaat,
        "closed": s.closed.isoformat() if s.closed else None,
    }


def _int(request: Request, name: str, default: int, maximum: int = 10_000) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    if not value.isdigit():
        raise BadRequest(f"{name} must be a non-negative integer")
    return min(int(value), maximum)


Handler = Callable[[Request, Simulator], Awaitable[dict[str, Any]]]


def api(handler: Handler) -> Callable[[Request], Awaitable[JSONResponse]]:
    """A handler of the simulator the app serves, its result as JSON and a BadRequest as an error."""

    async def endpoint(request: Request) -> JSONResponse:
        try:
            return JSONResponse(await handler(request, request.app.state.simulator))
        except BadRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)

    return endpoint


async def index(request: Request, sim: Simulator) -> dict[str, Any]:
    return {"endpoints": [f"{r.methods and sorted(r.methods - {'HEAD'})} {r.path}" for r in ROUTES]}


async def info(request: Request, sim: Simulator) -> dict[str, Any]:
    return {
        "scenario": sim.scenario.source,
        "tls": sim.config.tls,
        "zoeksleutel_scheme": sim.scheme.name,
        "clock": sim.clock.as_dict(),
        "pupils": len(sim.catalogue),
        "schools": len(sim.register.schools),
        "fault_profile": sim.faults.name,
        "evidence_bodies": sim.config.evidence_bodies,
        "sessions": sim.store.count("sessions"),
        "messages": sim.store.count("messages"),
    }


async def sessions(request: Request, sim: Simulator) -> dict[str, Any]:
    sim.tc.expire_idle()
    found = sim.store.sessions(
        limit=_int(request, "limit", 100),
        offset=_int(request, "offset", 0, 10**9),
        state=request.query_params.get("state"),
    )
    return {"sessions": [_session_dict(s) for s in found if sees_session(request, sim.register, s)]}


async def session(request: Request, sim: Simulator) -> dict[str, Any]:
    sim.tc.expire_idle()
    s = sim.store.get_session(request.path_params["sessie_id"])
    if s is None or not sees_session(request, sim.register, s):
        raise BadRequest("no such session", 404)
    return _session_dict(s) | {"messages": sim.store.messages(sessie_id=s.sessie_id, limit=1000)}


async def messages(request: Request, sim: Simulator) -> dict[str, Any]:
    q = request.query_params
    found = sim.store.messages(
        sessie_id=q.get("session"),
        operation=q.get("operation"),
        fault=q.get("fault"),
        after=_int(request, "after", 0, 10**12),
        limit=_int(request, "limit", 100),
        with_body=q.get("body") in ("1", "true"),
    )
    return {"messages": [m for m in found if sees_message(request, sim, m)]}


async def message(request: Request, sim: Simulator) -> dict[str, Any]:
    found = sim.store.message(path_id(request, "message_id"))
    if found is None or not sees_message(request, sim, found):
        raise BadRequest("no such message", 404)
    return found


async def stats(request: Request, sim: Simulator) -> dict[str, Any]:
    sim.tc.expire_idle()
    sessions = sim.store.session_counts()
    return {
        "sessions": sessions["states"],
        "resultaten": sessions["resultaten"],
        "messages": sim.store.count("messages"),
        "faults": sim.store.fault_counts(),
    } | sim.records.counts()


async def register(request: Request, sim: Simulator) -> dict[str, Any]:
    if request.method == "GET":
        return sim.register.as_dict()
    data = register_change(await read_object(request))
    try:
        change = parse_change(data, sim.register)
        sim.apply_admin_change(change)
    except ChangeRefused as exc:
        raise BadRequest(str(exc), 404 if exc.missing else 400) from None
    except (ScenarioError, KeyError, ValueError) as exc:
        raise BadRequest(str(exc)) from None
    return {"applied": change.as_dict()}


async def clock(request: Request, sim: Simulator) -> dict[str, Any]:
    if request.method == "POST":
        change = await read_json(request, ClockChange)
        if change.set is not None:
            sim.clock.set(change.set, frozen=change.frozen)
        elif change.advance_seconds is not None or change.advance_days is not None:
            step = timedelta(seconds=change.advance_seconds or 0, days=change.advance_days or 0)
            try:
                sim.clock.advance(step)
            except OverflowError:
                raise BadRequest("advance_seconds/advance_days: the clock would leave the calendar") from None
        else:
            raise BadRequest("give set (ISO date-time with timezone), advance_seconds or advance_days")
        sim.save_clock()
    return sim.clock.as_dict()


async def zoeksleutel(request: Request, sim: Simulator) -> dict[str, Any]:
    asked = await read_json(request, Zoeksleutels)
    pgns = asked.pgns or ([asked.pgn] if asked.pgn is not None else [])
    if not pgns:
        raise BadRequest("give pgn, or pgns (at most 10,000)")
    bad = [p for p in pgns if pupil_number_kind(p) is None]
    if bad:
        raise BadRequest(f"{len(bad)} value(s) are not a valid BSN or onderwijsnummer")
    keys = [{"zoeksleutel": sim.scheme.zoeksleutel(p), "pgnfrag": sim.scheme.pgnfrag(p)} for p in pgns]
    return keys[0] | {"scheme": sim.scheme.name} if asked.pgn is not None else {"scheme": sim.scheme.name, "keys": keys}


async def zoeksleutel_scheme(request: Request, sim: Simulator) -> dict[str, Any]:
    """The scheme and key, for a LAS under test that must make zoeksleutels (the test set-up channel)."""
    return {"scheme": sim.scheme.name, "key": sim.store.get_meta("zoeksleutel_key")}


def _pupil_dict(sim: Simulator, p: Pupil) -> dict[str, Any]:
    bron_rk = next((e.routeringskenmerk for e in sim.register.endpoints_of(p.school)), None)
    return {
        "key": p.key,
        "label": p.label,
        "profile": p.profile.value if p.profile else None,
        "index": p.index,
        "pgn": p.pgn,
        "pgn_kind": p.pgn_kind.value,
        "zoeksleutel": sim.scheme.zoeksleutel(p.pgn),
        "bron_brin": p.school,
        "bron_rk": bron_rk,
        "state": p.state,
        "versions": p.versions,
        "size": p.size.value,
        "case": p.case,
        "prepared": p.prepared.isoformat() if p.prepared else None,
        "updated": p.updated.isoformat() if p.updated else None,
        "mistake": p.mistake,
        "served_pgn": sim.catalogue.served_pgn(p),  # the mistake another-pupil: whose dossier goes out instead
    }


async def pupils(request: Request, sim: Simulator) -> dict[str, Any]:
    """The scripted pupils (the setup channel: pupil numbers in clear, never on the OSO wire)."""
    return {"pupils": [_pupil_dict(sim, p) for p in sim.catalogue.by_key.values() if p.label]}


async def cohort(request: Request, sim: Simulator) -> dict[str, Any]:
    """A page of the generated cohort of one profile, for load generators (pupil numbers in clear)."""
    try:
        profile = Profile(request.query_params.get("profile", "povo"))
    except ValueError:
        raise BadRequest(f"profile must be one of {', '.join(p.value for p in Profile)}") from None
    keys = sim.catalogue.cohort.get(profile, [])
    offset, limit = _int(request, "offset", 0, 10**9), _int(request, "limit", 1000, 10_000)
    return {
        "profile": profile.value,
        "total": len(keys),
        "pupils": [_pupil_dict(sim, sim.catalogue.by_key[k]) for k in keys[offset : offset + limit]],
    }


async def pupil(request: Request, sim: Simulator) -> dict[str, Any]:
    """One pupil; POST {"prepared": date-time} dates its first version, {"updated": date-time} a scripted
    pupil's later version (after the eindtoets)."""
    found = sim.catalogue.by_key.get(request.path_params["key"])
    if found is None:
        raise BadRequest("no such pupil: use a scripted label or <profile>/<index>", 404)
    if request.method == "POST":
        dating = await read_json(request, PupilDating)
        if dating.updated and found.versions < 2:
            raise BadRequest(f"pupil {found.key} has one version: only a later one (versions = 2) is dated")
        found = sim.catalogue.redate(found.key, prepared=dating.prepared, updated=dating.updated)
    return _pupil_dict(sim, found)


async def transfers(request: Request, sim: Simulator) -> dict[str, Any]:
    """The reference LAS as doel requests dossiers: one pupil or a batch, one session each."""
    if request.method == "GET":
        return {"transfers": sim.records.transfers(_int(request, "limit", 100))}
    asked = await read_json(request, AdminTransfers)
    doel, bron = asked.doel_brin, asked.bron_brin
    if doel not in sim.register.schools:
        raise BadRequest(f"doel_brin '{doel}' is not a school in the register")
    pgns = asked.pgns or ([asked.pgn] if asked.pgn else [])
    if not pgns or not all(pupil_number_kind(p) for p in pgns):
        raise BadRequest("give pgn or pgns: valid BSNs or onderwijsnummers")
    if not is_valid_brin(bron):
        raise BadRequest(f"bron_brin '{bron}' is not a BRIN")
    results = [
        await sim.las.request_dossier(
            doel,
            bron,
            pgn,
            verzameldatum=asked.verzameldatum,
            overdrachtsoort=asked.overdrachtsoort,
            bron_rk=asked.bron_rk,
        )
        for pgn in pgns
    ]
    return {"transfers": [r.as_dict() for r in results]}


async def notify(request: Request, sim: Simulator) -> dict[str, Any]:
    """The reference LAS as bron pushes a notificatieRequest to a doel (the SWV variant): outbound, so the
    fault profile's duplicates and delays apply to it."""
    asked = await read_json(request, Notify)
    bron, doel = asked.bron_brin, asked.doel_brin
    if not any(e.url == REFERENCE for e in sim.register.endpoints_of(bron)):
        raise BadRequest(f"bron_brin '{bron}' is not a school the reference LAS serves")
    targets = sim.register.endpoints_of(doel)
    if not targets:
        raise BadRequest(f"doel_brin '{doel}' is not a school with an aanleverpunt in the register")
    doel_rk = asked.doel_rk or targets[0].routeringskenmerk
    if doel_rk not in {e.routeringskenmerk for e in targets}:
        raise BadRequest(f"doel_rk '{doel_rk}' is not an aanleverpunt of {doel}")
    try:
        resultaat = await sim.las.notify(bron, doel, doel_rk, asked.pupil or "")
    except OsoFault as fault:
        return {"resultaat": None, "fault": fault.code, "message": str(fault)}
    return {"resultaat": resultaat}


async def imports(request: Request, sim: Simulator) -> dict[str, Any]:
    return {"imports": sim.records.imports(request.query_params.get("doel_brin"))}


async def inbox(request: Request, sim: Simulator) -> dict[str, Any]:
    return {"inbox": sim.records.inbox()}


async def fault_profile(request: Request, sim: Simulator) -> dict[str, Any]:
    if request.method == "POST":
        asked = await read_json(request, FaultProfileChange)
        try:
            profile = FaultProfile.parse(asked.toml, "<admin>") if asked.toml is not None else FaultProfile.none()
        except FaultProfileError as exc:
            raise BadRequest(str(exc)) from None
        if len(profile.rules) > MAX_FAULT_RULES:
            raise BadRequest(f"toml: {len(profile.rules)} rules; at most {MAX_FAULT_RULES}")
        sim.faults = profile
    return {"name": sim.faults.name, "seed": sim.faults.seed, "rules": len(sim.faults.rules)}


async def catalogue(request: Request, sim: Simulator) -> dict[str, Any]:
    return {
        "faults": [vars(spec) | {"layer": spec.layer.value, "party": spec.party.value} for spec in CATALOGUE.values()]
    }


ROUTES = [
    Route("/admin/", api(index)),
    Route("/admin/info", api(info)),
    Route("/admin/stats", api(stats)),
    Route("/admin/sessions", api(sessions)),
    Route("/admin/sessions/{sessie_id}", api(session)),
    Route("/admin/messages", api(messages)),
    Route("/admin/messages/{message_id:int}", api(message)),
    Route("/admin/register", api(register), methods=["GET", "POST"]),
    Route("/admin/clock", api(clock), methods=["GET", "POST"]),
    Route("/admin/zoeksleutel", api(zoeksleutel), methods=["POST"]),
    Route("/admin/zoeksleutel/scheme", api(zoeksleutel_scheme)),
    Route("/admin/pupils", api(pupils)),
    Route("/admin/cohort", api(cohort)),
    Route("/admin/pupils/{key:path}", api(pupil), methods=["GET", "POST"]),
    Route("/admin/las/transfers", api(transfers), methods=["GET", "POST"]),
    Route("/admin/las/notify", api(notify), methods=["POST"]),
    Route("/admin/las/imports", api(imports)),
    Route("/admin/las/inbox", api(inbox)),
    Route("/admin/faults", api(fault_profile), methods=["GET", "POST"]),
    Route("/admin/fault-catalogue", api(catalogue)),
]
