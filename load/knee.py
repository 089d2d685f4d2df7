"""The knee of a capacity run, as pure functions: the ladder of offered loads, a step's verdict, and the
sustainable rate.

A run steps the offered load up (bron: transfers per second the simulated doel schools ask for;
doel: vo schools running their intake at once) and judges every step on its own figures. A step
holds when every SLO objective holds on it, the simulator failed nothing (else the vendor was not
what was tested), and the LAS kept up: as bron it completed at least ``KEEPS_UP`` of the offered
transfers (less one per user, which a step boundary may cut off), as doel its throughput still
grew with the schools added (``SCALES``). A bron step's transfers are those begun in it; a doel
step's those the Traffic Center closed while it lasted (its intakes run on across steps). The knee is the
last step that held before the first that did not; its throughput is the sustainable rate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from load import slo

ROLES = ("bron", "doel")
UNITS = {"bron": "transfers/s", "doel": "intakes at once"}
KEEPS_UP = 0.9  # bron: answered at least this share of the offered transfers
SCALES = 1.05  # doel: throughput at least this many times the step before
MAX_SCHOOLS = 64  # doel: the most intakes at once a run offers
_SERIES = (1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)


def ladder(role: str, max_rate: float) -> list[float]:
    """The offered loads of a run, lowest first: 1, 2, 3, 4, 6, 8, 12, ... (about x1.4 a step).

    bron: transfers per second up to ``max_rate`` (included); doel: intakes at once up to
    ``MAX_SCHOOLS`` (the run also stops once a step's throughput reaches ``max_rate``).
    """
    top = max_rate if role == "bron" else MAX_SCHOOLS
    rates = [r for r in _SERIES if r < top and (role == "bron" or r == int(r))]
    return [float(r) for r in rates] + [float(top)]


@dataclass
class Step:
    """One step's figures. Latencies in ms: bron, the vendor's documentRequest; doel, the time per
    transfer (a collective request's time over its pupils)."""

    index: int
    offered: float
    users: int
    start: float  # epoch seconds
    end: float
    requests: int = 0  # bron: documentRequests answered; doel: transfers in collective requests
    errors: int = 0  # failed at the vendor (no answer, an HTTP error, a refusal of a prepared pupil, ...)
    conformance: int = 0  # answers or outcomes that break the protocol
    simulator_errors: int = 0  # requests the simulator's Traffic Center failed: the vendor was not what was measured
    transfers: int = 0  # whole transfers completed: bron, of those begun in the step; doel, closed while it lasted
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    transfer_p50_ms: float = 0.0  # whole transfers (bron: session to afmelding; doel: as p50_ms)
    transfer_p99_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)  # role-specific counts (batches, imports, sessions, CPU)
    series: list[dict[str, float]] = field(default_factory=list)  # windows: t, rps, p50_ms, p99_ms
    holds: bool | None = None
    breaches: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return max(self.end - self.start, 1e-9)

    @property
    def throughput(self) -> float:
        """Whole transfers completed per second."""
        return self.transfers / self.seconds

    def summary(self) -> dict[str, Any]:
        """The figures in the shape the SLO gate reads (``load/slo.py``)."""
        soap = {
            "requests": self.requests,
            "failures": self.errors,
            "rps": self.requests / self.seconds,
            **{f"p{q}_ms": getattr(self, f"p{q}_ms") for q in (50, 90, 95, 99)},
        }
        flow = {"p50_ms": self.transfer_p50_ms, "p99_ms": self.transfer_p99_ms, "requests": self.transfers}
        return {"soap": soap, "flows": {"full transfer": flow}, "conformance_failures": self.conformance}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"seconds": round(self.seconds, 3), "throughput_per_s": round(self.throughput, 3)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def judge(role: str, step: Step, objectives: list[slo.Objective], before: Step | None) -> list[str]:
    """Why ``step`` does not hold (empty: it holds). ``before``: the last step that held, if any."""
    breaches = [f"{o.text} (measured {o.show(m)})" for o, m, ok in slo.evaluate(objectives, step.summary()) if not ok]
    if step.requests == 0:
        breaches.append("no answers at all")
    if step.simulator_errors:
        breaches.append(f"the simulator failed {step.simulator_errors} request(s): this step did not measure the LAS")
    if role == "bron" and step.transfers < KEEPS_UP * step.offered * step.seconds - step.users:
        breaches.append(
            f"kept up with {step.throughput:,.1f} of {step.offered:g} transfers/s "
            f"(less than {KEEPS_UP:.0%} of the offered rate)"
        )
    if role == "doel" and before is not None and step.throughput < SCALES * before.throughput:
        breaches.append(
            f"{step.throughput:,.1f} transfers/s with {step.offered:g} intakes at once, not more than "
            f"{before.throughput:,.1f} with {before.offered:g}: the LAS does not go faster"
        )
    return breaches


def judge_all(role: str, steps: list[Step], objectives: list[slo.Objective]) -> None:
    """Set every step's verdict, in order: each doel step is compared with the last that held."""
    before: Step | None = None
    for step in steps:
        step.breaches = judge(role, step, objectives, before)
        step.holds = not step.breaches
        if step.holds:
            before = step


@dataclass(frozen=True)
class Knee:
    sustained: Step | None  # the last step that held before the first that broke
    broke: Step | None  # the first step that did not hold (None: every step held, up to the top of the ladder)

    @property
    def rate(self) -> float:
        return self.sustained.throughput if self.sustained else 0.0

    @property
    def p99_ms(self) -> float:
        shown = self.sustained or self.broke
        return shown.p99_ms if shown else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "found": self.broke is not None,
            "sustainable_per_s": round(self.rate, 3),
            "p99_ms": round(self.p99_ms, 1),
            "step": self.sustained.index if self.sustained else None,
            "offered": self.sustained.offered if self.sustained else None,
            "breaking_step": self.broke.index if self.broke else None,
            "breaking_offered": self.broke.offered if self.broke else None,
            "breaches": list(self.broke.breaches) if self.broke else [],
        }


def knee(steps: list[Step]) -> Knee:
    """The knee of judged steps (lowest offered load first)."""
    sustained = None
    for step in steps:
        if not step.holds:
            return Knee(sustained, step)
        sustained = step
    return Knee(sustained, None)
