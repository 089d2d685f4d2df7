"""capacity.html's charts: matplotlib figures rendered as inline SVG.

matplotlib draws them (a well-kept plotting library: axes, ticks, legends, log scales), its SVG
backend writes them: vector graphics the page embeds as they are, text kept as text (searchable,
and readable in the DOM), no script, no font or file fetched. The object-oriented API (``Figure``,
never pyplot) keeps no global state, and fixed ids and no date make the same run give the same SVG.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("svg")  # no GUI backend: the charts are only ever written as SVG

from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",  # text as <text>, in the page's own font
        "svg.hashsalt": "osokit",  # the same ids on every render
        "font.family": "sans-serif",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
    }
)

LATENCY_COLOURS = {"p50_ms": "#4c78a8", "p95_ms": "#f58518", "p99_ms": "#e45756"}
KNEE, BREAK = "#2a9d3f", "#b53f00"


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline: no XML declaration or DOCTYPE


def _offered_axis(ax: Any, result: dict[str, Any]) -> None:
    offered = [s["offered"] for s in result["steps"]]
    if offered and max(offered) / max(min(offered), 1e-9) >= 8:
        ax.set_xscale("log", base=2)
        ax.set_xticks(offered, [f"{o:g}" for o in offered])
        ax.minorticks_off()
    ax.set_xlabel(f"offered ({result['offered_unit']})")


def _knee(ax: Any, result: dict[str, Any]) -> None:
    k = result["knee"]
    if k["offered"] is not None:
        ax.axvline(k["offered"], color=KNEE, linestyle="--", linewidth=1.2)
        ax.annotate(
            f"knee: {k['sustainable_per_s']:,.1f}/s",
            (k["offered"], 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            color=KNEE,
        )
    if k["breaking_offered"] is not None:
        ax.axvline(k["breaking_offered"], color=BREAK, linestyle=":", linewidth=1.2)
        ax.annotate(
            "SLO breaks",
            (k["breaking_offered"], 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -24),
            textcoords="offset points",
            color=BREAK,
        )


def latency(result: dict[str, Any], thresholds: dict[str, float]) -> str:
    """p50, p95 and p99 per step against the offered load; the SLO's latency limits as lines."""
    fig = Figure(figsize=(5.6, 3.2))
    ax = fig.add_subplot()
    offered = [s["offered"] for s in result["steps"]]
    for key, colour in LATENCY_COLOURS.items():
        ax.plot(offered, [s[key] for s in result["steps"]], marker="o", color=colour, label=key.removesuffix("_ms"))
    for label, limit in thresholds.items():
        ax.axhline(limit, color="#555555", linewidth=0.8, linestyle="-.")
        ax.annotate(
            f"SLO {label}",
            (1, limit),
            xycoords=("axes fraction", "data"),
            xytext=(-2, 3),
            textcoords="offset points",
            ha="right",
            color="#555555",
        )
    _offered_axis(ax, result)
    _knee(ax, result)
    ax.set_ylabel("latency (ms)")
    ax.set_title("latency per step")
    ax.legend(loc="best", frameon=False)
    return _svg(fig)


def throughput(result: dict[str, Any]) -> str:
    """Transfers completed per second per step against the offered load (bron: beside the offered rate)."""
    fig = Figure(figsize=(5.6, 3.2))
    ax = fig.add_subplot()
    offered = [s["offered"] for s in result["steps"]]
    ax.plot(offered, [s["throughput_per_s"] for s in result["steps"]], marker="o", color="#4c78a8", label="completed")
    if result["offered_unit"] == "transfers/s" and offered:
        ax.plot(offered, offered, color="#999999", linewidth=0.8, linestyle="--", label="offered")
    holds = [s for s in result["steps"] if s["holds"]]
    ax.scatter(
        [s["offered"] for s in holds], [s["throughput_per_s"] for s in holds], color=KNEE, zorder=3, label="SLO holds"
    )
    _offered_axis(ax, result)
    _knee(ax, result)
    ax.set_ylabel("transfers/s")
    ax.set_title("throughput per step")
    ax.legend(loc="best", frameon=False)
    return _svg(fig)


def series(result: dict[str, Any]) -> str:
    """Over the run: requests per second and p99 at the vendor, each step shaded and labelled."""
    fig = Figure(figsize=(11, 3.8))
    rate, lat = fig.subplots(2, 1, sharex=True)
    points = [(p, s) for s in result["steps"] for p in s["series"]]
    start = result["steps"][0]["start"] if result["steps"] else 0
    rate.plot([p["t"] for p, _ in points], [p["rps"] for p, _ in points], color="#4c78a8", linewidth=1)
    lat.plot(
        [p["t"] for p, _ in points],
        [p["p99_ms"] for p, _ in points],
        color=LATENCY_COLOURS["p99_ms"],
        linewidth=1,
        label="p99",
    )
    lat.plot(
        [p["t"] for p, _ in points],
        [p["p50_ms"] for p, _ in points],
        color=LATENCY_COLOURS["p50_ms"],
        linewidth=1,
        label="p50",
    )
    for n, step in enumerate(result["steps"]):
        left, right = step["start"] - start, step["end"] - start
        shade = "#fbe3d6" if step["holds"] is False else ("#f0f0f0" if n % 2 else "#ffffff")
        for ax in (rate, lat):
            ax.axvspan(left, right, color=shade, zorder=0, linewidth=0)
        rate.annotate(
            f"{step['offered']:g}",
            ((left + right) / 2, 1),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="bottom",
            fontsize=8,
            color="#555555",
        )
    rate.set_ylabel("requests/s")
    lat.set_ylabel("latency (ms)")
    lat.set_xlabel("seconds into the run (each band one step, labelled with its offered load)")
    lat.legend(loc="upper left", frameon=False)
    return _svg(fig)
