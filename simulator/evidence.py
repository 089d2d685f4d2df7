"""The evidence log's one writer: every exchange, in or out, over the wire or in process, becomes a
request and its answer in the store, with HTTP status, fault, timing and the headers of both
(names in lower case, as every transport hands them over).

:class:`Recorded` wraps a transport (or the simulator's own receiving end) and records what went
through it. Directions are seen from the simulator: ``in`` a request it received (its answer goes
``out``), ``out`` a request it sent (the answer comes ``in``), ``internal`` a hosted LAS's call to
its Traffic Center. A message the fault profile dropped on its way out is a lone request. What the
fault profile did is marked on the exchange (``injected``): the answer it gave instead (an
:class:`~simulator.faultinject.InjectedFault`, an HTTP error, a dropped message) or the copy it sent.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Generic, TypeVar

from oso.exchange import DROPPED, Answer, AsyncTransport, Call, Transport, response_name, sessie_of
from simulator.clock import Clock
from simulator.faultinject import DUPLICATE, INJECTED_FAULT, InjectedFault
from simulator.store import Message, Store

IN, OUT, INTERNAL = "in", "out", "internal"
_ANSWER_DIRECTION = {IN: OUT, OUT: IN, INTERNAL: INTERNAL}
Inner = TypeVar("Inner", Transport, AsyncTransport)


class Recorded(Generic[Inner]):
    """Records every exchange of ``inner``; ``endpoint``, ``peer`` and ``vendor``, when not given, come
    from the call (its URL or path; who sent it)."""

    def __init__(
        self,
        inner: Inner,
        store: Store,
        clock: Clock,
        direction: str,
        *,
        endpoint: str | None = None,
        peer: str | None = None,
        vendor: str | None = None,
    ) -> None:
        self.inner: Inner = inner
        self.store, self.clock, self.direction = store, clock, direction
        self.endpoint, self.peer, self.vendor = endpoint, peer, vendor

    def exchange(self: Recorded[Transport], call: Call) -> Answer:
        """The record joins the transaction the caller is in, or commits at once."""
        started = time.perf_counter()
        answer = self.inner.exchange(call)
        with self.store.transaction():
            self.record(call, answer, started)
        return answer

    async def exchange_async(self: Recorded[AsyncTransport], call: Call) -> Answer:
        """A message received: the record goes in the group commit the delivery wrote in (nothing is
        awaited in between), which the HTTP edge awaits before it answers, so the effects and their
        evidence are stored, or fail, together. A message sent: the record commits at once."""
        started = time.perf_counter()
        answer = await self.inner.exchange_async(call)
        with self.store.group() if self.direction == IN else self.store.transaction():
            self.record(call, answer, started)
        return answer

    def record(self, call: Call, answer: Answer, started: float | None = None, *, copy: bool = False) -> None:
        """The request and its answer (and a duplicate's, if one was sent: ``copy``) as one exchange each."""
        now = self.clock.now()
        endpoint = self.endpoint or call.url
        peer = self.peer or call.peer or (call.url if self.direction == OUT else None)
        vendor = self.vendor or call.vendor
        sessie = sessie_of(call.message) or sessie_of(answer.message)
        request = Message(
            self.direction,
            endpoint,
            call.operation,
            now,
            peer=peer,
            vendor=vendor,
            sessie_id=sessie,
            validation=("ok" if call.message is not None else answer.code) if self.direction == IN else None,
            headers=dict(call.headers),
            body=call.body,
            injected=DUPLICATE if copy else None,
        )
        if self.direction == OUT and answer.injected == DROPPED:
            self.store.add_exchange(replace(request, fault=DROPPED, injected=DROPPED))
            return
        self.store.add_exchange(
            request,
            Message(
                _ANSWER_DIRECTION[self.direction],
                endpoint,
                response_name(call.operation),
                now,
                peer=peer,
                vendor=vendor,
                sessie_id=sessie,
                http_status=answer.status,
                fault=answer.code,
                duration_ms=_duration(answer, call.arrived or started),
                headers=dict(answer.headers),
                body=answer.body,
                injected=_injected(answer),
            ),
        )
        if answer.repeat is not None:
            self.record(call, answer.repeat, copy=True)


def _injected(answer: Answer) -> str | None:
    """What the fault profile answered instead of the addressee, if it did."""
    return INJECTED_FAULT if isinstance(answer.fault, InjectedFault) else answer.injected


def _duration(answer: Answer, since: float | None) -> float | None:
    """The round trip a transport timed, else the time since the call arrived (or was handed over)."""
    if answer.elapsed_ms is not None:
        return answer.elapsed_ms
    return (time.perf_counter() - since) * 1000 if since is not None else None
