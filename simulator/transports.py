"""The transports: how a :class:`~oso.exchange.Call` is delivered, and the fault profile applied to it.

:class:`HttpTransport` sends a call over HTTP(S) with httpx, :class:`Loopback` hands it to the
Traffic Center in this process, :class:`MockTransport` answers it with a function (tests).
:class:`Faulty` wraps any of them (or the simulator's receiving end) with the fault profile's
decisions; the evidence log (``simulator.evidence.Recorded``) wraps the result.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Generic, TypeVar

import httpx

from oso import envelope, faults
from oso.exchange import DROPPED, HTTP_ERROR, Answer, AsyncTransport, Call, Transport
from oso.faults import OsoFault
from simulator.broker import Caller, TrafficCenter
from simulator.faultinject import Action, FaultProfile, InjectedFault

Verify = ssl.SSLContext | bool


class HttpTransport:
    """SOAP over HTTP(S). ``verify``: the CA to trust and, for mTLS, the client certificate, as a
    context, or a function that makes one (called when the first connection is made)."""

    def __init__(self, *, verify: Verify | Callable[[], Verify] = True, timeout: float = 10.0) -> None:
        self.verify, self.timeout = verify, timeout
        self._sync: httpx.Client | None = None
        self._async: httpx.AsyncClient | None = None

    def _context(self) -> Verify:
        return self.verify() if callable(self.verify) else self.verify

    def exchange(self, call: Call) -> Answer:
        if self._sync is None:
            self._sync = httpx.Client(verify=self._context(), timeout=self.timeout)
        started = time.perf_counter()
        try:
            response = self._sync.post(call.url, content=call.body, headers=dict(call.headers))
        except httpx.HTTPError as exc:
            return Answer.unreachable(call, f"{type(exc).__name__}: {exc}")
        return _answer(response, started)

    async def exchange_async(self, call: Call) -> Answer:
        if self._async is None:
            self._async = httpx.AsyncClient(verify=self._context(), timeout=self.timeout)
        started = time.perf_counter()
        try:
            response = await self._async.post(call.url, content=call.body, headers=dict(call.headers))
        except httpx.HTTPError as exc:
            return Answer.unreachable(call, f"{type(exc).__name__}: {exc}")
        return _answer(response, started)

    def __enter__(self) -> HttpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        self.close()
        if self._async is not None:
            await self._async.aclose()
            self._async = None


def _answer(response: httpx.Response, started: float) -> Answer:
    return Answer(
        response.status_code,
        response.content,
        dict(response.headers),
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


class Loopback:
    """The Traffic Center in this process, for the LASes the simulator hosts.

    The request's bytes are checked against the transport schema, as the TC checks bytes from the
    wire (so a malformed message is refused the same way); the TC then gets the typed request that
    was encoded, not a copy decoded from those bytes, and its typed answer comes straight back.
    """

    def __init__(self, tc: TrafficCenter, caller: Caller) -> None:
        self.tc, self.caller = tc, caller

    def exchange(self, call: Call) -> Answer:
        try:
            envelope.read_request(call.body)
            return Answer.of(self.tc.handle(call.message, self.caller))
        except OsoFault as fault:
            return Answer.refusing(fault)


class Routed:
    """In process for a path ("/tc"), over HTTP for an absolute URL (a Traffic Center elsewhere)."""

    def __init__(self, local: Transport, remote: Transport) -> None:
        self.local, self.remote = local, remote

    def exchange(self, call: Call) -> Answer:
        remote = call.url.startswith(("http://", "https://"))
        return (self.remote if remote else self.local).exchange(call)


class MockTransport:
    """A test double that is a real transport: ``handler`` answers each call; ``calls`` keeps them."""

    def __init__(self, handler: Callable[[Call], Answer]) -> None:
        self.handler = handler
        self.calls: list[Call] = []

    def exchange(self, call: Call) -> Answer:
        self.calls.append(call)
        return self.handler(call)

    async def exchange_async(self, call: Call) -> Answer:
        return self.exchange(call)


Inner = TypeVar("Inner", Transport, AsyncTransport)


class Faulty(Generic[Inner]):
    """The fault profile between a sender and ``inner``: ``direction`` is "in" for messages the
    simulator receives (also in process), "out" for those it sends. ``profile`` gives the profile in
    force (the admin API can swap it)."""

    def __init__(self, inner: Inner, profile: Callable[[], FaultProfile], direction: str) -> None:
        self.inner: Inner = inner
        self.profile, self.direction = profile, direction

    def exchange(self: Faulty[Transport], call: Call) -> Answer:
        """A blocking caller, in process: no waiting, and no wire to break, so ``http_status`` and
        ``drop`` come back as TijdelijkNietBeschikbaar (``fault`` as that fault)."""
        profile = self.profile()
        if not profile.rules:  # no profile in force: nothing to decide
            return self.inner.exchange(call)
        action = profile.decide(call.operation or "", call.school, self.direction)
        if action.fault or action.http_status or action.drop:
            return Answer.refusing(InjectedFault(action.fault or faults.TIJDELIJK))
        return self.inner.exchange(call)

    async def exchange_async(self: Faulty[AsyncTransport], call: Call) -> Answer:
        """On the wire: wait, then answer instead of ``inner`` (fault, HTTP error, dropped) or deliver
        (twice for a duplicate: the copy right after the first)."""
        profile = self.profile()
        if not profile.rules:
            return await self.inner.exchange_async(call)
        action = profile.decide(call.operation or "", call.school, self.direction)
        if action.latency or action.delay:
            await asyncio.sleep(action.latency + action.delay)
        if action.drop or action.http_status:
            return no_soap(call, action, injected=True)
        if action.fault:
            return Answer.refusing(InjectedFault(action.fault))
        answer = await self.inner.exchange_async(call)
        if action.duplicate:
            answer = replace(answer, repeat=await self.inner.exchange_async(call))
        return answer


def no_soap(call: Call, action: Action, *, injected: bool) -> Answer:
    """What the wire carries instead of a SOAP answer when ``action`` drops the message or answers a bare
    HTTP error: the fault profile's doing (``injected``), or a faulty hosted LAS's own (``WireAnswer``)."""
    if action.drop:
        if injected:
            return Answer.unreachable(call, "message lost (dropped by the fault profile)", injected=DROPPED)
        return replace(Answer.unreachable(call, "connection closed without an answer"), wire=DROPPED)
    return Answer(
        action.http_status,
        f"injected HTTP {action.http_status}\n".encode(),
        {"content-type": "text/plain; charset=utf-8"},
        injected=HTTP_ERROR if injected else None,
        wire=None if injected else HTTP_ERROR,
    )
