"""The OSO session lifecycle as a pure state machine.

A session covers one dossier for one doel. The Traffic Center grants it (``aangevraagd``), the bron
checks it before answering (``gecontroleerd``, any number of times, once per aanleverpunt asked),
and the doel closes it once with its best result (``afgemeld``). A session left idle longer than
the TC allows expires (``verlopen``). ``afgemeld`` and ``verlopen`` are final.

Every transition is a function from a session and an event to a new session, or an
:class:`~oso.faults.OsoFault` naming why it may not happen. Nothing here does I/O or reads a clock:
the caller passes ``now``.

    aangevraagd --controle--> gecontroleerd --controle--> gecontroleerd
         |                          |
         +--------afmelding---------+--> afgemeld      (a second afmelding: SessieReedsAfgemeld)
         +--------idle > ttl--------+--> verlopen      (then every event: SessieVerlopen)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from oso import faults
from oso.faults import OsoFault

DEFAULT_TTL = timedelta(hours=4)
OVERDRACHTSOORTEN = ("overstapdossier", "overdrachtbinnenbrin", "swv-dossier")


class State(StrEnum):
    AANGEVRAAGD = "aangevraagd"
    GECONTROLEERD = "gecontroleerd"
    AFGEMELD = "afgemeld"
    VERLOPEN = "verlopen"

    @property
    def final(self) -> bool:
        return self in (State.AFGEMELD, State.VERLOPEN)


@dataclass(frozen=True)
class Claim:
    """What a message says about its session: compared field by field with what was granted."""

    bron_brin: str
    doel_brin: str
    doel_rk: str  # the doel's routeringskenmerk
    overdrachtsoort: str
    sleutel: str  # zoeksleutel, pgnfrag or koppelsleutel, as sent
    bron_rk: str | None = None


@dataclass(frozen=True)
class Session:
    sessie_id: str
    granted: Claim
    specific_ap: bool  # the doel asked for one bron aanleverpunt only
    state: State
    created: datetime
    last_seen: datetime
    controles: int = 0
    resultaat: str | None = None
    closed: datetime | None = None


def grant(sessie_id: str, claim: Claim, now: datetime) -> Session:
    """A new session; the caller has checked the register (schools, aanleverpunten)."""
    if claim.overdrachtsoort not in OVERDRACHTSOORTEN:
        raise OsoFault(faults.ONGELDIGE_OVERDRACHTSOORT, f"overdrachtsoort '{claim.overdrachtsoort}' is not known")
    if claim.overdrachtsoort == "overdrachtbinnenbrin" and claim.bron_brin != claim.doel_brin:
        raise OsoFault(
            faults.GEEN_RELATIE_MET_DOEL, f"binnen-BRIN transfer from {claim.bron_brin} to {claim.doel_brin}"
        )
    return Session(sessie_id, claim, claim.bron_rk is not None, State.AANGEVRAAGD, now, now)


def _usable(session: Session, now: datetime, ttl: timedelta) -> None:
    if session.state is State.AFGEMELD:
        raise OsoFault(faults.SESSIE_REEDS_AFGEMELD, f"session {session.sessie_id} was closed at {session.closed}")
    if session.state is State.VERLOPEN or now - session.last_seen > ttl:
        raise OsoFault(faults.SESSIE_VERLOPEN, f"session {session.sessie_id} idle since {session.last_seen}")


def expire(session: Session, now: datetime, ttl: timedelta = DEFAULT_TTL) -> Session:
    """The session as it stands at ``now``: an open session idle longer than ``ttl`` is verlopen."""
    if not session.state.final and now - session.last_seen > ttl:
        return replace(session, state=State.VERLOPEN)
    return session


def controle(session: Session, claim: Claim, now: datetime, ttl: timedelta = DEFAULT_TTL) -> Session:
    """sessiecontrole by the bron: the claim must match what was granted."""
    _usable(session, now, ttl)
    granted = session.granted
    if claim.doel_rk != granted.doel_rk:
        raise OsoFault(
            faults.ONBEKEND_AANLEVERPUNT,
            f"doelRouteringsKenmerk {claim.doel_rk} is not the session's {granted.doel_rk}",
        )
    for name in ("bron_brin", "doel_brin", "overdrachtsoort", "sleutel"):
        if getattr(claim, name) != getattr(granted, name):
            raise OsoFault(faults.SESSIE_AFWIJKEND, f"{_LABELS[name]} differs from the session's")
    if session.specific_ap and claim.bron_rk != granted.bron_rk:
        raise OsoFault(faults.SESSIE_AFWIJKEND, "the session was granted for another bron aanleverpunt")
    return replace(session, state=State.GECONTROLEERD, last_seen=now, controles=session.controles + 1)


def afmelding(session: Session, resultaat: str, doel_rk: str, now: datetime, ttl: timedelta = DEFAULT_TTL) -> Session:
    """The doel closes the session with its best result, exactly once."""
    _usable(session, now, ttl)
    if doel_rk != session.granted.doel_rk:
        raise OsoFault(
            faults.ONBEKEND_AANLEVERPUNT,
            f"doelRouteringsKenmerk {doel_rk} is not the session's {session.granted.doel_rk}",
        )
    if resultaat not in faults.RESULTATEN:
        raise OsoFault(faults.ONGELDIG_RESULTAAT, f"resultaat '{resultaat}' is not in the result table")
    return replace(session, state=State.AFGEMELD, last_seen=now, resultaat=resultaat, closed=now)


_LABELS = {
    "bron_brin": "bronBrin",
    "doel_brin": "doelBrin",
    "overdrachtsoort": "overdrachtsoort",
    "sleutel": "zoeksleutel/koppelsleutel",
}
