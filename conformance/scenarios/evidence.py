"""Reading what a check caused: the messages of its window, decoded, grouped by who sent what."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from oso import envelope
from oso.faults import OsoFault

REQUESTS_IN = ("in", "internal")


@dataclass(frozen=True)
class Seen:
    """One request that reached the simulator, with the answer it got."""

    id: int
    endpoint: str
    operation: str
    message: Any  # the decoded request, or None when it did not conform to the transport schema
    body: str
    fault: str | None  # the fault the answer carried, if any
    answer_body: str


def exchanges(messages: list[dict[str, Any]]) -> list[Seen]:
    """Requests received by the TC or an aanleverpunt of the simulator (not its own outbound copies)."""
    answers = {m["exchange"]: m for m in messages if m["id"] != m["exchange"]}
    out = []
    for m in messages:
        if m["id"] != m["exchange"] or m["direction"] not in REQUESTS_IN or not m["operation"]:
            continue
        answer = answers.get(m["id"], {})
        try:
            _, element = envelope.read_request((m["body"] or "").encode())
            decoded = envelope.decode(element)
        except OsoFault:
            decoded = None
        out.append(
            Seen(
                m["id"],
                m["endpoint"],
                m["operation"],
                decoded,
                m["body"] or "",
                answer.get("fault"),
                answer.get("body") or "",
            )
        )
    return out


def sent_by(seen: list[Seen], routeringskenmerken: set[str]) -> list[Seen]:
    """The requests a LAS sent: those naming one of its aanleverpunten as the sender's side."""

    def mine(s: Seen) -> bool:
        m = s.message
        if m is None:
            return any(rk in s.body for rk in routeringskenmerken)
        if s.operation in ("sessiecontroleRequest", "meldenNotificatieRequest"):
            return m.bron_rk in routeringskenmerken
        return getattr(m, "doel_rk", None) in routeringskenmerken

    return [s for s in seen if mine(s)]


def of(seen: list[Seen], operation: str) -> list[Seen]:
    return [s for s in seen if s.operation == operation]


def answered_ok(s: Seen) -> bool:
    return s.fault is None and s.answer_body != ""


def clear_pgns(seen: list[Seen], pgns: Iterable[str]) -> list[tuple[str, str]]:
    """(operation, number) for every pupil number of the run that a request carries in clear.

    Only the numbers the run gave the LAS count: any nine digits that pass the 11-proef (inside a
    routeringskenmerk or a sessieId, say) are not a pupil number."""
    numbers = re.compile("|".join(rf"(?<!\d){re.escape(n)}(?!\d)" for n in sorted(set(pgns))) or "(?!)")
    return [(s.operation, n) for s in seen for n in numbers.findall(s.body)]


def ids(seen: list[Seen]) -> list[int]:
    """The log ids of these requests, for a failure to mark them (and their answers) in the evidence."""
    return [s.id for s in seen]
