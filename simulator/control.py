"""The control API of the vendor-under-test slot: how the conformance suite makes a LAS act.

A vendor implements this contract (``conformance/control-api.yaml``, OpenAPI 3.1) on its test
environment; the simulator implements it for the LAS it hosts as vendor under test (the reference
LAS or a mutant), so the suite drives every target the same way. JSON in and out under /control/.
Pupil numbers travel here in clear: this is the test set-up channel, never the OSO wire.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oso import codec, zoeksleutel
from oso.identifiers import pupil_number_kind
from simulator.las import IMPORT_STEPS, IN_PROCESS_TC, pupil_key
from simulator.service import VUT, VUT_SCHOOLS, Simulator
from simulator.validation import (
    BadRequest,
    ControlClock,
    ControlImports,
    ControlTransfers,
    Dossiers,
    Pupils,
    Setup,
    json_path,
    read_json,
)


def _pgn(value: str, name: str = "pgn") -> str:
    if pupil_number_kind(value) is None:
        raise BadRequest(f"{name} must be a valid BSN or onderwijsnummer")
    return value


def _school(brin: str, name: str) -> str:
    if brin not in VUT_SCHOOLS:
        raise BadRequest(f"{name} must be one of this vendor's schools: {', '.join(VUT_SCHOOLS)}")
    return brin


@cache
def pupil_schema() -> jsonschema.Draft202012Validator:
    """The contract's schema of one version of a pupil's data (conformance/pupil.schema.json)."""
    schema = json.loads((files("conformance") / "pupil.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _pupil(data: dict[str, Any], n: int, pgn: str) -> dict[str, Any]:
    """One version's pupil data, checked against the schema; the first problem, named by its path."""
    problem = _schema_problem(json.dumps(data))  # (in its own key order: the first problem may depend on it)
    if problem is not None:
        path, message = problem
        raise BadRequest(f"{json_path(['versions', n, 'pupil', *path])}: {message[:300]}")
    personalia = data["personalia"]
    if pgn not in (personalia.get("bsn"), personalia.get("onderwijsnummer")):
        raise BadRequest(f"versions[{n}].pupil.personalia: its bsn or onderwijsnummer is not pgn")
    return data


@lru_cache(maxsize=512)
def _schema_problem(data: str) -> tuple[tuple[str | int, ...], str] | None:
    """The first schema problem of pupil data (as JSON text), remembered: jsonschema takes some 15 ms for each,
    and the suite gives the same data again in every run (the mutation run: one per mutant)."""
    error = jsonschema.exceptions.best_match(pupil_schema().iter_errors(json.loads(data)))
    return None if error is None else (tuple(error.absolute_path), error.message)


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
        asked = await read_json(request, Setup)
        tc_url = str(asked.tc_url)
        own = _same_server(tc_url, sim.base_url)
        if own:
            scheme = sim.scheme
        else:
            try:
                scheme = zoeksleutel.make(asked.zoeksleutel_scheme, bytes.fromhex(asked.zoeksleutel_key))
            except ValueError as exc:
                raise BadRequest(f"zoeksleutel_scheme/zoeksleutel_key: {exc}") from None
        las().tc_url = IN_PROCESS_TC if own else tc_url
        las().scheme = sim.prepared.scheme = scheme
        return None

    async def transfers(request: Request) -> dict[str, Any]:
        asked = await read_json(request, ControlTransfers)
        doel = _school(asked.doel_brin, "doel_brin")
        for n, pgn in enumerate(asked.pgns):
            _pgn(pgn, f"pgns.{n}")
        done = await las().request_batch(
            doel,
            asked.bron_brin,
            list(asked.pgns),
            update=asked.update,
            overdrachtsoort=asked.overdrachtsoort,
            steps=tuple(dict.fromkeys(asked.steps or IMPORT_STEPS)),  # each step once, in the order asked
        )
        return {
            "transfers": [
                {"sessie_id": d.sessie_id, "resultaat": d.resultaat, "imported": d.imported, "problems": d.problems}
                for d in done
            ]
        }

    async def imports(request: Request) -> dict[str, Any]:
        asked = await read_json(request, ControlImports)
        doel, pgn = _school(asked.doel_brin, "doel_brin"), _pgn(asked.pgn)
        count, steps = sim.records.imports_like(doel, pupil_key(doel, pgn)[:16])  # a duplicate gets a suffix
        if not count:
            raise BadRequest("this pupil was not imported", 404)
        return {"records": count, "steps": steps, "all_steps": list(IMPORT_STEPS)}

    async def dossiers(request: Request) -> None:
        asked = await read_json(request, Dossiers)
        bron, pgn = _school(asked.bron_brin, "bron_brin"), _pgn(asked.pgn)
        for n, v in enumerate(asked.versions):
            try:
                codec.fragment_element(v.dossier)  # one well-formed element, or nothing is stored
            except ValueError as exc:
                raise BadRequest(f"versions[{n}].dossier: {exc}") from None
        versions = [(v.prepared, v.dossier) for v in asked.versions]
        with sim.store.transaction():
            sim.prepared.prepare(bron, pgn, asked.state, versions)
        return None

    async def pupils(request: Request) -> None:
        """Export: the LAS holds the pupil data and prepares (klaarzet) each version with its own export."""
        asked = await read_json(request, Pupils)
        bron, pgn = _school(asked.bron_brin, "bron_brin"), _pgn(asked.pgn)
        versions = [
            (v.prepared, las().export(_pupil(v.pupil, n, pgn), v.prepared, bron)) for n, v in enumerate(asked.versions)
        ]
        with sim.store.transaction():
            sim.prepared.prepare(bron, pgn, asked.state, versions)
        return None

    async def clock(request: Request) -> None:
        """The LAS's own clock (here: the simulator's), for checks about dates such as expiry after the summer."""
        sim.clock.set((await read_json(request, ControlClock)).now)
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
