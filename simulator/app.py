"""The simulator's HTTP edge: a Starlette app whose SOAP route reads a message and hands it on.

One route serves both the Traffic Center (``/tc``) and the schools' aanleverpunten
(``/schools/<routeringskenmerk>``): it reads the body under a size and time limit and parses and
checks it (hardened parser, SOAP 1.1 envelope, transport schema) into a :class:`~oso.exchange.Call`.
The call then goes through ``Simulator.inbound``: the fault profile and the evidence log around the
dispatch to the TC or the hosted LAS, the same wrappers as every message the simulator sends. The
route commits the evidence with the effects before it answers. Every rejection is a SOAP fault from
the catalogue (HTTP 500) or, for requests that are not SOAP at all, a 4xx with a small JSON body.
Nothing answers with a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oso import envelope, faults
from oso import transport as t
from oso.exchange import XML, Answer, Call, school_of
from oso.faults import OsoFault
from oso.schema import SCHEMA_ROOT
from simulator.access import Access, Guard
from simulator.service import Simulator
from simulator.store import StoreUnavailable, storage_error
from simulator.tls import abort_connection, peer_vendor

log = logging.getLogger("osokit.simulator")
SOAP_CONTENT_TYPES = ("text/xml", "application/xml", "application/soap+xml")
WSDL_DIR = SCHEMA_ROOT / t.SCHEMA_DIR


async def _read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The body, at most ``limit`` bytes arriving within ``timeout`` seconds, or the fault that refuses it."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise OsoFault(faults.BERICHT_TE_GROOT, f"more than {limit} bytes")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise OsoFault(faults.BERICHT_TE_GROOT, f"more than {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise OsoFault(faults.BERICHT_TE_TRAAG, f"body not complete after {timeout:.0f} s") from None
    return b"".join(chunks)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _wsdl(request: Request, name: str) -> Response:
    text = (WSDL_DIR / name).read_text(encoding="utf-8").replace("BASE_URL", _base_url(request))
    if name == "aanleverpunt.wsdl":
        # the address as a URL: percent-encoded, so no character of the path can break the XML (not even
        # a control character, which XML cannot carry escaped)
        text = text.replace("/schools/ROUTERINGSKENMERK", quote(request.url.path))
    return Response(text, media_type=XML)


def soap_route(sim: Simulator, service: str) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" in request.query_params:
                return _wsdl(request, "tc.wsdl" if service == t.TC else "aanleverpunt.wsdl")
            return _not_soap(faults.METHODE_NIET_TOEGESTAAN, "GET serves the WSDL only: add ?wsdl")
        return await handle_soap(sim, request, service)

    return endpoint


def _not_soap(code: str, message: str) -> JSONResponse:
    spec = faults.CATALOGUE[code]
    return JSONResponse({"code": code, "message": message}, status_code=spec.http_status)


async def handle_soap(sim: Simulator, request: Request, service: str) -> Response:
    arrived = time.perf_counter()
    sim.base_url = _base_url(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in SOAP_CONTENT_TYPES:
        return _not_soap(
            faults.GEEN_SOAP_VERZOEK, f"content type '{content_type or 'none'}': send SOAP 1.1 as text/xml"
        )
    call, refusal = await _read(sim, request, service, arrived)
    if refusal is not None:  # not a message the simulator can handle: refused before anything else
        answer = Answer.refusing(refusal)
        await _record_alone(sim, call, answer, "refused")
        return _response(request, answer)
    try:
        answer = await sim.inbound.exchange_async(call)
        await sim.store.flush()  # the group commit: nothing is acknowledged before it is durable
    except StoreUnavailable as unavailable:  # nothing was stored: TijdelijkNietBeschikbaar, with the reason
        answer = Answer.refusing(unavailable)
        await _record_alone(sim, call, answer, "unstored")
    except Exception:  # noqa: BLE001 - never a traceback on the wire; the log has it
        log.exception("internal error handling %s %s", call.url, call.operation)
        answer = Answer.refusing(
            OsoFault(faults.INTERNE_FOUT, "the simulator hit an unexpected error; its log has the details")
        )
        await _record_alone(sim, call, answer, "failed")
    return _response(request, answer)


async def _record_alone(sim: Simulator, call: Call, answer: Answer, what: str) -> None:
    """The evidence of an answer the pipeline did not give; it goes out anyway, so a failure is only logged."""
    try:
        with sim.store.group():
            sim.inbound.record(call, answer)
        await sim.store.flush()
    except StoreUnavailable:
        pass  # the store has logged why it cannot write
    except Exception:  # noqa: BLE001
        log.exception("could not record the %s exchange", what)


async def _read(sim: Simulator, request: Request, service: str, arrived: float) -> tuple[Call, OsoFault | None]:
    """The call with its body and, once it passed every check, its operation and typed message; or
    as far as it got, with the fault that refuses it."""
    body, operation = b"", None
    try:
        body = await _read_body(request, sim.config.max_request_bytes, sim.config.body_timeout)
        operation, element = envelope.read_request(body, max_bytes=sim.config.max_request_bytes)
        served_by = t.OPERATIONS[operation][2]
        if served_by != service:
            where = "/tc" if served_by == t.TC else "a school's aanleverpunt (/schools/<rk>)"
            raise OsoFault(faults.ONBEKENDE_OPERATIE, f"{operation} is not served here: send it to {where}")
        message = envelope.decode(element)
    except OsoFault as refusal:
        return _call(request, arrived, body, operation), refusal
    return _call(request, arrived, body, operation, message), None


def _call(request: Request, arrived: float, body: bytes, operation: str | None, message: object = None) -> Call:
    client = request.client
    return Call(
        request.url.path,
        operation,
        body,
        {name.decode("latin-1"): value.decode("latin-1") for name, value in request.scope["headers"]},
        message,
        school=request.path_params.get("rk") or school_of(message),
        peer=f"{client.host}:{client.port}" if client else None,
        vendor=peer_vendor(request.scope),
        arrived=arrived,
    )


def _response(request: Request, answer: Answer) -> Response:
    if answer.dropped:
        abort_connection(request.scope)
        return Response(b"", status_code=500)
    return Response(answer.body, status_code=answer.status or 500, media_type=answer.headers.get("content-type"))


async def _storage_failed(request: Request, exc: Exception) -> JSONResponse:
    """A JSON endpoint (admin, control, pages) that could not read or write its state: 503 with the reason."""
    error = storage_error(exc)
    if error is None:
        log.error("internal error handling %s", request.url.path, exc_info=exc)
        return JSONResponse({"error": "internal error; the simulator's log has the details"}, status_code=500)
    return JSONResponse({"error": error.message}, status_code=503, headers={"Retry-After": "5"})


def transport_xsd(request: Request) -> Response:
    return Response((WSDL_DIR / "transport.xsd").read_text(encoding="utf-8"), media_type=XML)


def create_app(sim: Simulator, access: Access | None = None) -> Starlette:
    """The app; ``access`` says who may use the admin API, the pages and the control API (default: open)."""
    from simulator import admin, control, pages

    async def healthz(request: Request) -> JSONResponse:
        """Committed sessions only; 503 with the reason from a failed commit until one succeeds again."""
        problem = sim.store.unavailable
        status = {
            "status": "ok" if problem is None else "unavailable",
            "sessions": sim.store.count_committed("sessions"),
        }
        if problem is not None:
            return JSONResponse(status | {"reason": problem}, status_code=503)
        return JSONResponse(status)

    ui = pages.Ui(sim, admin_index=admin.api(admin.index))
    routes = [
        Route("/healthz", healthz),
        Route("/tc", soap_route(sim, t.TC), methods=["GET", "POST"]),
        Route("/schools/{rk}", soap_route(sim, t.AANLEVERPUNT), methods=["GET", "POST"]),
        Route("/schemas/transport.xsd", transport_xsd),
        *ui.routes(),  # first: a browser's /admin/ gets the admin page, anything else the API's index
        *admin.ROUTES,
        *control.routes(sim),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        ui.close()
        await sim.close()

    guard = Middleware(Guard, access=access or Access(), register=sim.register if sim else None)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[guard],
        exception_handlers={StoreUnavailable: _storage_failed, sqlite3.Error: _storage_failed},
    )
    app.state.simulator = sim
    return app
