"""The control API of the vendor-under-test slot: how the conformance suite makes a LAS act.

A vendor implements this contract (``conformance/control-api.yaml``, OpenAPI 3.1) on its test
environment; the simulator implements it for the LAS it hosts as vendor under test (the reference
LAS or a mutant), so the suite drives every target the same way. JSON in and out under /control/.
Pupil numbers travel here in clear: this is the test set-up channel, never the OSO wire.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oso import codec, zoeksleutel
from oso.identifiers import pupil_number_kind
from simulator.admin import BadRequest, _json
from simulator.las import IMPORT_STEPS, IN_PROCESS_TC, pupil_key
from simulator.service import VUT, VUT_SCHOOLS, Simulator

STATES = ("ready", "not-ready", "not-allowed")


def _pgn(data: dict[str, Any], name: str = "pgn") -> str:
    value = data.get(name)
    if not isinstance(value, str) or pupil_number_kind(value) is None:
        raise BadRequest(f"{name} must be a valid BSN or onderwijsnummer")
    return value


def _school(sim: Simulator, data: dict[str, Any], name: str) -> str:
    brin = data.get(name)
    if brin not in VUT_SCHOOLS:
        raise BadRequest(f"{name} must be one of this vendor's schools: {', '.join(VUT_SCHOOLS)}")
    return str(brin)


def _state(data: dict[str, Any]) -> str:
    state = data.get("state", "ready")
    if state not in STATES:
        raise BadRequest(f"state must be one of {', '.join(STATES)}")
    return str(state)


def _prepared(version: Any, n: int) -> datetime:
    try:
        prepared = datetime.fromisoformat(version["prepared"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest(f"versions[{n}].prepared: a date-time with timezone: {exc}") from None
    if prepared.tzinfo is None:
        raise BadRequest(f"versions[{n}].prepared: give the timezone, e.g. 2026-02-03T10:00:00+01:00")
    return prepared


@cache
def pupil_schema() -> jsonschema.Draft202012Validator:
    """The contract's schema of one version of a pupil's data (conformance/pupil.schema.json)."""
    schema = json.loads((files("conformance") / "pupil.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _pupil(version: Any, n: int, pgn: str) -> dict[str, Any]:
    """One version's pupil data, checked against the schema; the first problem, named by its path."""
    data = version.get("pupil") if isinstance(version, dict) else None
    error = jsonschema.exceptions.best_match(pupil_schema().iter_errors(data))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise BadRequest(f"versions[{n}].pupil{where}: {error.message[:300]}")
    personalia = data["personalia"]
    if pgn not in (personalia.get("bsn"), personalia.get("onderwijsnummer")):
        raise BadRequest(f"versions[{n}].pupil.personalia: its bsn or onderwijsnummer is not pgn")
    return data


def _same_server(tc_url: str, base_url: str) -> bool:
    """The TC URL is this simulator's own (which a blocking remote call would deadlock on)."""
    a, b = urlsplit(tc_url), urlsplit(base_url)
    loopback = {"127.0.0.1", "::1", "localhost"}
    same_host = a.hostname == b.hostname or {a.hostname, b.hostname} <= loopback
    return same_host and a.port == b.port


def routes(sim: Simulator) -> list[Route]:
    def api(fn: Any, status: int = 200) -> Any:
        async def wrapped(request: Request) -> Response:
            if VUT not in sim.lases:
                return JSONResponse({"error": "no vendor under test here: start the simulator with one"}, 404)
            try:
                result = await fn(request)
            except BadRequest as exc:
                return JSONResponse({"error": str(exc)}, status_code=exc.status)
            await sim.store.flush()
            return JSONResponse(result, status_code=status) if result is not None else Response(status_code=204)

        return wrapped

    def las():  # noqa: ANN202
        return sim.lases[VUT]

    async def info(request: Request) -> dict[str, Any]:
        schools = {}
        for brin, sector in VUT_SCHOOLS.items():
            endpoint = sim.register.endpoints_of(brin)[0]
            schools[sector] = {
                "brin": brin,
                "routeringskenmerk": endpoint.routeringskenmerk,
                "url": sim.endpoint_url(endpoint),
            }
        return {
            "vendor": VUT,
            "name": sim.register.vendors[VUT].name,
            "doel": schools,
            "bron": schools,
            "now": sim.clock.now().isoformat(),
        }

    async def setup(request: Request) -> None:
        """Where the Traffic Center is and how to make zoeksleutels: this simulator's own TC, or another's
        (the simulator then stands in for a vendor's test environment, as with `osokit serve --vut`)."""
        data = await _json(request)
        for name in ("tc_url", "zoeksleutel_scheme"):
            if not isinstance(data.get(name), str):
                raise BadRequest(f"{name} is required")
        own = _same_server(data["tc_url"], sim.base_url)
        if own:
            scheme = sim.scheme
        else:
            try:
                scheme = zoeksleutel.make(
                    data["zoeksleutel_scheme"], bytes.fromhex(str(data.get("zoeksleutel_key", "")))
                )
            except ValueError as exc:
                raise BadRequest(f"zoeksleutel_scheme/zoeksleutel_key: {exc}") from None
        las().tc_url = IN_PROCESS_TC if own else data["tc_url"]
        las().scheme = sim.prepared.scheme = scheme
        return None

    async def transfers(request: Request) -> dict[str, Any]:
        data = await _json(request)
        doel = _school(sim, data, "doel_brin")
        bron = data.get("bron_brin")
        if not isinstance(bron, str):
            raise BadRequest("bron_brin is required")
        pgns = data.get("pgns")
        if not isinstance(pgns, list) or not pgns:
            raise BadRequest("pgns: a list of one or more pupil numbers")
        for pgn in pgns:
            _pgn({"pgn": pgn})
        done = await las().request_batch(
            doel,
            bron,
            pgns,
            update=bool(data.get("update")),
            overdrachtsoort=str(data.get("overdrachtsoort", "overstapdossier")),
        )
        return {
            "transfers": [
                {"sessie_id": d.sessie_id, "resultaat": d.resultaat, "imported": d.imported, "problems": d.problems}
                for d in done
            ]
        }

    async def imports(request: Request) -> dict[str, Any]:
        data = await _json(request)
        doel, pgn = _school(sim, data, "doel_brin"), _pgn(data)
        count, steps = sim.records.imports_like(doel, pupil_key(doel, pgn)[:16])  # a duplicate gets a suffix
        if not count:
            raise BadRequest("this pupil was not imported", 404)
        return {"records": count, "steps": steps, "all_steps": list(IMPORT_STEPS)}

    async def dossiers(request: Request) -> None:
        """Passthrough: the LAS holds the dossier XML as it is given."""
        data = await _json(request)
        bron, pgn, state = _school(sim, data, "bron_brin"), _pgn(data), _state(data)
        versions = []
        for n, v in enumerate(data.get("versions") or [], start=1):
            if not isinstance(v, dict) or not isinstance(v.get("dossier"), str):
                raise BadRequest(f"versions[{n}]: needs prepared (date-time with timezone) and dossier (XML)")
            try:
                codec.fragment_element(v["dossier"])  # one well-formed element, or nothing is stored
            except ValueError as exc:
                raise BadRequest(f"versions[{n}].dossier: {exc}") from None
            versions.append((_prepared(v, n), v["dossier"]))
        if not versions:
            raise BadRequest("versions: at least one prepared dossier")
        with sim.store.transaction():
            sim.prepared.prepare(bron, pgn, state, versions)
        return None

    async def pupils(request: Request) -> None:
        """Export: the LAS holds the pupil data and prepares (klaarzet) each version with its own export."""
        data = await _json(request)
        bron, pgn, state = _school(sim, data, "bron_brin"), _pgn(data), _state(data)
        given = data.get("versions")
        if not isinstance(given, list) or not given:
            raise BadRequest("versions: at least one version of the pupil's data")
        versions = []
        for n, v in enumerate(given, start=1):
            prepared, pupil = _prepared(v, n), _pupil(v, n, pgn)
            versions.append((prepared, las().export(pupil, prepared, bron)))
        with sim.store.transaction():
            sim.prepared.prepare(bron, pgn, state, versions)
        return None

    async def clock(request: Request) -> None:
        """The LAS's own clock (here: the simulator's), for checks about dates such as expiry after the summer."""
        data = await _json(request)
        try:
            now = datetime.fromisoformat(str(data["now"]))
        except (KeyError, ValueError):
            raise BadRequest("now: a date-time with timezone, e.g. 2026-06-20T09:00:00+02:00") from None
        if now.tzinfo is None:
            raise BadRequest("now: give the timezone, e.g. 2026-06-20T09:00:00+02:00")
        sim.clock.set(now)
        sim.save_clock()
        return None

    async def reset(request: Request) -> None:
        with sim.store.transaction():
            sim.prepared.withdraw_all()
            sim.records.forget_imports(tuple(VUT_SCHOOLS))
        return None

    return [
        Route("/control/info", api(info)),
        Route("/control/setup", api(setup), methods=["PUT"]),
        Route("/control/transfers", api(transfers), methods=["POST"]),
        Route("/control/imports", api(imports), methods=["POST"]),
        Route("/control/dossiers", api(dossiers), methods=["POST"]),
        Route("/control/pupils", api(pupils), methods=["POST"]),
        Route("/control/reset", api(reset), methods=["POST"]),
        Route("/control/clock", api(clock), methods=["PUT"]),
    ]
