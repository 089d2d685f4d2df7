"""The simulator's HTTP edge: a Starlette app whose routes hand parsed messages to the service.

One pipeline serves both the Traffic Center (``/tc``) and the schools' aanleverpunten
(``/schools/<routeringskenmerk>``): read the body under a size and time limit, parse and check it
(hardened parser, SOAP 1.1 envelope, transport schema), apply the fault profile, dispatch, and
commit the evidence of the exchange with its effects before answering. Every rejection is a SOAP
fault from the catalogue (HTTP 500) or, for requests that are not SOAP at all, a 4xx with a small
JSON body. Nothing answers with a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from oso import envelope, faults
from oso import transport as t
from oso.faults import OsoFault
from oso.schema import SCHEMA_ROOT
from simulator.broker import Caller
from simulator.faultinject import DROPPED, INJECTED_FAULT, INJECTED_HTTP_ERROR, InjectedFault, WireAnswer
from simulator.service import Simulator, school_of, sessie_of
from simulator.store import Message, StoreUnavailable, storage_error
from simulator.tls import abort_connection, peer_vendor

log = logging.getLogger("osokit.simulator")
XML = "text/xml; charset=utf-8"
SOAP_CONTENT_TYPES = ("text/xml", "application/xml", "application/soap+xml")
WSDL_DIR = SCHEMA_ROOT / t.SCHEMA_DIR


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int, timeout: float) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    async with asyncio.timeout(timeout):
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
    return b"".join(chunks)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _wsdl(request: Request, name: str) -> Response:
    text = (WSDL_DIR / name).read_text(encoding="utf-8").replace("BASE_URL", _base_url(request))
    if name == "aanleverpunt.wsdl":
        text = text.replace("/schools/ROUTERINGSKENMERK", request.url.path)
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
    started = time.perf_counter()
    sim.base_url = _base_url(request)
    path = request.url.path
    rk = request.path_params.get("rk")
    client = request.client
    caller = Caller(
        tls=sim.config.tls, vendor=peer_vendor(request.scope), peer=f"{client.host}:{client.port}" if client else None
    )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in SOAP_CONTENT_TYPES:
        return _not_soap(
            faults.GEEN_SOAP_VERZOEK, f"content type '{content_type or 'none'}': send SOAP 1.1 as text/xml"
        )
    operation: str | None = None
    request_msg: object = None
    body = b""
    try:
        try:
            body = await _read_body(request, sim.config.max_request_bytes, sim.config.body_timeout)
        except _TooLarge:
            raise OsoFault(faults.BERICHT_TE_GROOT, f"more than {sim.config.max_request_bytes} bytes") from None
        except TimeoutError:
            raise OsoFault(
                faults.BERICHT_TE_TRAAG, f"body not complete after {sim.config.body_timeout:.0f} s"
            ) from None
        operation, element = envelope.read_request(body, max_bytes=sim.config.max_request_bytes)
        if t.OPERATIONS[operation][2] != service:
            where = "/tc" if t.OPERATIONS[operation][2] == t.TC else "a school's aanleverpunt (/schools/<rk>)"
            raise OsoFault(faults.ONBEKENDE_OPERATIE, f"{operation} is not served here: send it to {where}")
        request_msg = envelope.decode(element)
        action = sim.faults.decide(operation, rk or school_of(request_msg), "in")
        if action.latency:
            await asyncio.sleep(action.latency)
        if action.fault:
            raise InjectedFault(action.fault)
        by_profile = True  # what the wire gets was injected by the fault profile (marked so in the evidence)
        if not (action.drop or action.http_status):
            try:
                response = _dispatch(sim, path, operation, caller, body, request_msg, rk, started)
            except WireAnswer as wire:  # a faulty hosted LAS that answers no SOAP message: its own doing
                action, by_profile = wire.action, False
            else:
                await sim.store.flush()  # the group commit: nothing is acknowledged before it is durable
                return response
        if action.drop:
            injected = DROPPED if by_profile else None
            _record(sim, path, operation, caller, body, request_msg, b"", None, DROPPED, started, injected=injected)
            abort_connection(request.scope)
            return Response(b"", status_code=500)
        injected = INJECTED_HTTP_ERROR if by_profile else None
        _record(
            sim,
            path,
            operation,
            caller,
            body,
            request_msg,
            b"",
            action.http_status,
            INJECTED_HTTP_ERROR,
            started,
            injected=injected,
        )
        text = f"injected HTTP {action.http_status}\n"
        return Response(text, status_code=action.http_status, media_type="text/plain")
    except OsoFault as fault:
        answer = envelope.fault(fault)
        injected = INJECTED_FAULT if isinstance(fault, InjectedFault) else None
        try:
            _record(
                sim, path, operation, caller, body, request_msg, answer, 500, fault.code, started, injected=injected
            )
            await sim.store.flush()
        except StoreUnavailable:
            pass  # the fault goes out anyway; the store has logged why it cannot write
        except Exception:  # noqa: BLE001 - the fault goes out anyway; the log says the evidence was lost
            log.exception("could not record the refused exchange")
        return Response(answer, status_code=500, media_type=XML)
    except Exception:  # noqa: BLE001 - never a traceback on the wire; the log has it
        log.exception("internal error handling %s %s", path, operation)
        fault = OsoFault(faults.INTERNE_FOUT, "the simulator hit an unexpected error; its log has the details")
        answer = envelope.fault(fault)
        try:
            _record(sim, path, operation, caller, body, request_msg, answer, 500, fault.code, started)
            await sim.store.flush()
        except Exception:  # noqa: BLE001
            log.exception("could not record the failed exchange")
        return Response(answer, status_code=500, media_type=XML)


def _dispatch(
    sim: Simulator,
    path: str,
    operation: str,
    caller: Caller,
    body: bytes,
    request_msg: object,
    rk: str | None,
    started: float,
) -> Response:
    """Handle the message and record it, all in one transaction that commits before the answer goes out.

    Handlers check before they write, so a fault leaves nothing half-done; what was written before a
    later fault (the bron's sessiecontrole at the TC, say) happened and stays, with its evidence.
    """
    with sim.store.group():
        try:
            if rk is None:
                answer_msg = sim.tc.handle(request_msg, caller)
            else:
                answer_msg = sim.las_for(rk).handle(rk, request_msg, caller)
        except OsoFault as fault:
            answer, status, code, answer_msg = envelope.fault(fault), 500, fault.code, None
        else:
            answer, status, code = envelope.message(answer_msg), 200, None
        _record(
            sim,
            path,
            operation,
            caller,
            body,
            request_msg,
            answer,
            status,
            code,
            started,
            sessie_id=sessie_of(request_msg) or sessie_of(answer_msg),
        )
    return Response(answer, status_code=status, media_type=XML)


def _record(
    sim: Simulator,
    path: str,
    operation: str | None,
    caller: Caller,
    body: bytes,
    request_msg: object,
    answer: bytes,
    status: int | None,
    fault: str | None,
    started: float,
    sessie_id: str | None = None,
    injected: str | None = None,
) -> None:
    now = sim.clock.now()
    elapsed = (time.perf_counter() - started) * 1000
    sessie = sessie_id or sessie_of(request_msg)
    validation = "ok" if request_msg is not None else (fault or "ok")
    with sim.store.group():
        sim.store.add_exchange(
            Message(
                "in",
                path,
                operation,
                now,
                peer=caller.peer,
                vendor=caller.vendor,
                sessie_id=sessie,
                validation=validation,
                body=body,
            ),
            Message(
                "out",
                path,
                operation.replace("Request", "Response") if operation else None,
                now,
                peer=caller.peer,
                vendor=caller.vendor,
                sessie_id=sessie,
                http_status=status,
                fault=fault,
                duration_ms=elapsed,
                body=answer,
                injected=injected,
            ),
        )


async def _storage_failed(request: Request, exc: Exception) -> JSONResponse:
    """A JSON endpoint (admin, control, pages) that could not read or write its state: 503 with the reason."""
    error = storage_error(exc)
    if error is None:
        log.error("internal error handling %s", request.url.path, exc_info=exc)
        return JSONResponse({"error": "internal error; the simulator's log has the details"}, status_code=500)
    return JSONResponse({"error": error.message}, status_code=503, headers={"Retry-After": "5"})


def transport_xsd(request: Request) -> Response:
    return Response((WSDL_DIR / "transport.xsd").read_text(encoding="utf-8"), media_type=XML)


def create_app(sim: Simulator) -> Starlette:
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

    admin_routes = admin.routes(sim)
    ui = pages.Ui(sim, admin_index=next(r.endpoint for r in admin_routes if r.path == "/admin/"))
    routes = [
        Route("/healthz", healthz),
        Route("/tc", soap_route(sim, t.TC), methods=["GET", "POST"]),
        Route("/schools/{rk}", soap_route(sim, t.AANLEVERPUNT), methods=["GET", "POST"]),
        Route("/schemas/transport.xsd", transport_xsd),
        *ui.routes(),  # first: a browser's /admin/ gets the admin page, anything else the API's index
        *admin_routes,
        *control.routes(sim),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        ui.close()
        await sim.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={StoreUnavailable: _storage_failed, sqlite3.Error: _storage_failed},
    )
    app.state.simulator = sim
    return app
