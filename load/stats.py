"""The figures of a locust stats entry that a run summary keeps."""

from __future__ import annotations

from typing import Any


def figures(entry: Any, seconds: float) -> dict[str, float]:
    """``seconds``: the run's length so far, so that a rare request's rate is not over its own instant."""
    return {
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        **{f"p{q}_ms": entry.get_response_time_percentile(q / 100) for q in (50, 90, 95, 99)},
        "max_ms": entry.max_response_time or 0,
        "rps": entry.num_requests / seconds if seconds else 0.0,
    }


def run_seconds(stats: Any) -> float:
    total = stats.total
    return max(total.last_request_timestamp - total.start_time, 1e-9) if total.last_request_timestamp else 0.0
