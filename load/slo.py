"""Service-level objectives for a load run: ``--slo "p99<250ms,errors=0,conformance=0"``.

Each objective is ``metric op value``: latencies ``p50 p90 p95 p99`` (of the SOAP requests, in ``ms``
or ``s``) and ``transfer_p50 transfer_p99`` (of whole transfers), counts ``errors`` and
``conformance`` (or a share of the requests with ``%``), and throughput ``rps``. Operators: ``<``,
``<=``, ``=``, ``>=``, ``>``. A run passes when every objective holds.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any

from oso.errors import UserError

OPERATORS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "=": operator.eq}
LATENCIES = {"p50", "p90", "p95", "p99", "transfer_p50", "transfer_p99"}
COUNTS = {"errors", "conformance"}
METRICS = LATENCIES | COUNTS | {"rps"}
_OBJECTIVE = re.compile(r"\s*([a-z_0-9]+)\s*(<=|>=|<|>|=)\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|%)?\s*")


class SloError(UserError, ValueError):
    """An objective osokit cannot read: says which one and what is accepted."""


@dataclass(frozen=True)
class Objective:
    metric: str
    op: str
    value: float  # milliseconds for latencies, a fraction (0..1) for shares
    share: bool = False
    text: str = ""

    def measure(self, summary: dict[str, Any]) -> float:
        """This objective's figure in a run summary (``load/locustfile.py`` writes it)."""
        soap = summary["soap"]
        if self.metric.startswith("transfer_"):
            flow = summary.get("flows", {}).get("full transfer")
            return float(flow[f"{self.metric.removeprefix('transfer_')}_ms"]) if flow else float("nan")
        if self.metric in LATENCIES:
            return float(soap[f"{self.metric}_ms"])
        if self.metric == "rps":
            return float(soap["rps"])
        count = float(soap["failures"] if self.metric == "errors" else summary["conformance_failures"])
        return count / max(soap["requests"], 1) if self.share else count

    def holds(self, measured: float) -> bool:
        return measured == measured and OPERATORS[self.op](measured, self.value)  # NaN never holds

    def show(self, measured: float) -> str:
        if self.share:
            return f"{measured:.2%}"
        if self.metric in LATENCIES:
            return f"{measured:,.0f} ms"
        return f"{measured:,.1f}" if self.metric == "rps" else f"{measured:,.0f}"


def parse(spec: str) -> list[Objective]:
    objectives = []
    for part in (p for p in spec.split(",") if p.strip()):
        found = _OBJECTIVE.fullmatch(part)
        if not found:
            raise SloError(f"--slo: cannot read {part.strip()!r}; write e.g. p99<250ms, errors=0, conformance<0.1%")
        metric, op, number, unit = found.groups()
        if metric not in METRICS:
            raise SloError(f"--slo: unknown metric {metric!r} (known: {', '.join(sorted(METRICS))})")
        value = float(number)
        if metric in LATENCIES:
            if unit not in ("ms", "s", None):
                raise SloError(f"--slo: {part.strip()}: a latency takes ms or s")
            value = value * 1000 if unit == "s" else value
        elif unit == "%":
            if metric not in COUNTS:
                raise SloError(f"--slo: {part.strip()}: only errors and conformance take a share (%)")
            value /= 100
        elif unit:
            raise SloError(f"--slo: {part.strip()}: {metric} takes no unit {unit!r}")
        objectives.append(Objective(metric, op, value, unit == "%", part.strip()))
    if not objectives:
        raise SloError("--slo: no objectives given")
    return objectives


def evaluate(objectives: list[Objective], summary: dict[str, Any]) -> list[tuple[Objective, float, bool]]:
    return [(o, m, o.holds(m)) for o in objectives for m in (o.measure(summary),)]
