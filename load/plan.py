"""What the capacity locustfile is told: one JSON value, ``--oso-plan``, written by ``osokit load capacity``.

Locust's master hands its custom options to every worker with each spawn message, so a worker on
another machine (``osokit load worker``) needs only the master's address: the plan reaches it.
Kept free of locust, so the command that writes it does not import (and monkey-patch) gevent.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

PER_USER = 2.0  # bron: the transfers per second one simulated doel school offers at most (pacing 0.5 s)
INTAKE = (40, 240)  # doel: pupils in a vo school's intake when --batch is not given
PER_BRON_SCHOOL = 12  # doel: at most this many pupils of one po school in an intake


@dataclass(frozen=True)
class Plan:
    role: str  # bron | doel
    simulator: str  # the run's simulator (Traffic Center, counterpart schools), as workers reach it
    target: str  # the vendor's control API
    rates: tuple[float, ...]  # the ladder of offered loads (load/knee.py)
    step_s: float
    max_rate: float
    admin_token: str = ""  # the simulator's admin token, made for this run only: workers call its admin API
    slo: str = ""
    settle_s: float = 1.0  # after a step, wait this long for its last figures before judging it
    sample_s: float = 1.0  # the time series' window
    allow_remote: bool = False
    out: str = ""  # where the master writes the steps (JSON)
    seed: int = 0
    validate_every: int = 50  # validate every Nth dossier in full (schema and rules)
    max_requests: int = 1_000_000  # a bound on every run, over all its steps
    # bron: the pupils the LAS prepared, (pgn, zoeksleutel); its school; the simulator's vo schools the users play
    pupils: tuple[tuple[str, str], ...] = ()
    bron_brin: str = ""
    doel_schools: tuple[tuple[str, str], ...] = ()
    # doel: the LAS's vo school, and pupils per intake (0: drawn from INTAKE)
    doel_brin: str = ""
    batch: int = 0
    profile: str = "povo"

    def users(self, offered: float) -> tuple[int, float]:
        """The users that offer ``offered``, and each one's pacing in seconds (doel: none, back to back)."""
        if self.role == "doel":
            return int(offered), 0.0
        users = max(1, math.ceil(offered / PER_USER))
        return users, users / offered

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        for name in ("rates", "pupils", "doel_schools"):
            data[name] = tuple(tuple(x) if isinstance(x, list) else x for x in data.get(name, ()))
        return cls(**data)
