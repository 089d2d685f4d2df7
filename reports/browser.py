"""Headless Chromium renders a report with the network shut off, and proves it stayed off.

The HTML report promises to be self-contained. Reading its source for URLs is one check; this
module is the other: a real browser (Debian's ``chromium``) opens the file with every route out
blocked (all host names resolve to nothing, all proxied traffic goes to a dead local port), takes
a screenshot, dumps the DOM, and writes Chromium's own net log. ``net_activity`` reads that log:
what the page itself asked for (requests with an initiator origin; Chromium's background
services have none), which sockets connected, and which HTTP responses arrived.

Used by ``tests/reports/test_html_render.py`` and to refresh ``docs/report-screenshot.png``::

    python -m reports.browser results.json docs/report-screenshot.png --width 1280 --height 1500
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oso.errors import UserError

INSTALL_HINT = "install it with `apt-get install -y chromium` (Debian package) or run .ci/chromium"
OFFLINE_HOST_RULES = "MAP * ~NOTFOUND"
"""Every host name (and IP literal) resolves to nothing."""
DEAD_PROXY = "127.0.0.1:9"
"""Port 9 (discard) on loopback: nothing listens there, so proxied requests are refused at once."""
QUIET_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--no-pings",
)
"""Headless Chromium as root (no sandbox), without GPU, and without the background services that would
reach out to the network on their own (this machine's closed network refuses them, many at a time)."""


class BrowserError(UserError, RuntimeError):
    """Chromium is missing, failed, or timed out."""


@dataclass(frozen=True, slots=True)
class Rendering:
    """What one headless run left behind."""

    png: Path
    dom: str
    netlog: Path
    seconds: float
    stderr: str


@dataclass(frozen=True, slots=True)
class NetActivity:
    """Network use seen in a Chromium net log."""

    page_requests: tuple[str, ...]
    """URLs the page asked for (not file:, data:, about:), whether or not they succeeded."""
    connected: tuple[str, ...]
    """Remote addresses of TCP connections that were established."""
    responses: tuple[str, ...]
    """Status lines of HTTP responses that arrived."""


@dataclass(frozen=True, slots=True)
class PngInfo:
    width: int
    height: int
    distinct_bytes: int
    """How many different byte values the decompressed image data holds: a blank page has very few."""
    top: tuple[tuple[tuple[int, ...], ...], ...]
    """The first rows of pixels, decoded (RGB or RGBA tuples): enough to check what was painted at the top."""

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        return self.top[y][x]


def find_chromium() -> str | None:
    """``$OSOKIT_CHROMIUM`` when set, else ``chromium`` on the PATH (Debian's /usr/bin/chromium)."""
    candidate = os.environ.get("OSOKIT_CHROMIUM") or shutil.which("chromium")
    if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
        return candidate
    return None


def command(
    chromium: str,
    page: Path,
    work: Path,
    *,
    width: int = 1280,
    height: int = 2000,
    host_rules: str = OFFLINE_HOST_RULES,
) -> list[str]:
    """The Chromium command line: headless, no GPU, no sandbox (CI runs as root), network blocked."""
    return [
        chromium,
        "--headless",
        *QUIET_FLAGS,
        "--hide-scrollbars",
        f"--host-resolver-rules={host_rules}",
        f"--proxy-server={DEAD_PROXY}",
        f"--user-data-dir={work / 'profile'}",
        f"--log-net-log={work / 'netlog.json'}",
        f"--screenshot={work / 'screenshot.png'}",
        "--dump-dom",
        f"--window-size={width},{height}",
        page.resolve().as_uri(),
    ]


def render(
    page: Path,
    work: Path,
    *,
    width: int = 1280,
    height: int = 2000,
    timeout: float = 60,
    host_rules: str = OFFLINE_HOST_RULES,
    chromium: str | None = None,
) -> Rendering:
    """Open ``page`` in headless Chromium; screenshot, DOM and net log go to ``work``."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise BrowserError(f"chromium not found: {INSTALL_HINT}")
    work.mkdir(parents=True, exist_ok=True)
    argv = command(chromium, page, work, width=width, height=height, host_rules=host_rules)
    started = time.monotonic()
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise BrowserError(f"chromium did not finish within {timeout:.0f} s: {' '.join(argv)}") from None
    seconds = time.monotonic() - started
    png = work / "screenshot.png"
    if proc.returncode != 0 or not png.is_file():
        tail = "\n".join(proc.stderr.splitlines()[-15:])
        raise BrowserError(f"chromium exited {proc.returncode} without a screenshot:\n{tail}")
    return Rendering(png=png, dom=proc.stdout, netlog=work / "netlog.json", seconds=seconds, stderr=proc.stderr)


def net_activity(netlog: Path) -> NetActivity:
    """Page requests, established connections and received responses in a Chromium net log."""
    log = _load_netlog(netlog)
    constants = log.get("constants", {})
    names = {number: name for name, number in constants.get("logEventTypes", {}).items()}
    begin, end = (
        constants.get("logEventPhase", {}).get("PHASE_BEGIN", 1),
        constants.get("logEventPhase", {}).get("PHASE_END", 2),
    )
    requests, connected, responses = [], [], []
    for event in log.get("events", []):
        name, phase, params = names.get(event.get("type")), event.get("phase"), event.get("params") or {}
        if name == "URL_REQUEST_START_JOB" and phase == begin:
            initiator, url = params.get("initiator"), str(params.get("url", ""))
            if initiator not in (None, "not an origin") and not url.startswith(("file:", "data:", "about:")):
                requests.append(url)
        elif name == "TCP_CONNECT" and phase == end and "net_error" not in params:
            connected.append(str(params.get("remote_address", "?")))
        elif name == "HTTP_TRANSACTION_READ_RESPONSE_HEADERS":
            responses.append(str((params.get("headers") or ["?"])[0]))
    return NetActivity(tuple(requests), tuple(connected), tuple(responses))


def _load_netlog(path: Path) -> dict[str, Any]:
    """The net log; one cut short (Chromium killed mid-write) is closed the way Chromium would."""
    text = path.read_text(encoding="utf-8", errors="replace")
    for suffix in ("", "]}", "{}]}"):
        try:
            netlog: dict[str, Any] = json.loads(text.rstrip().rstrip(",") + suffix)
        except json.JSONDecodeError:
            continue
        return netlog
    raise BrowserError(f"{path}: not a Chromium net log")


def png_info(path: Path, top_rows: int = 64) -> PngInfo:
    """Width and height from IHDR, a blankness measure, and the top rows decoded (8-bit RGB/RGBA only)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    pos, header, idat = 8, b"", bytearray()
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
        pos += 12 + length
    if len(header) < 13 or not idat:
        raise ValueError(f"{path}: PNG without IHDR or IDAT")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header[:13])
    raw = zlib.decompress(bytes(idat))
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"{path}: only 8-bit non-interlaced RGB/RGBA is decoded (depth {depth}, colour {colour})")
    channels = 3 if colour == 2 else 4
    rows = _unfilter(raw, width * channels, channels, min(top_rows, height))
    top = tuple(tuple(tuple(row[i : i + channels]) for i in range(0, len(row), channels)) for row in rows)
    return PngInfo(width=width, height=height, distinct_bytes=len(set(raw)), top=top)


def _unfilter(raw: bytes, stride: int, bpp: int, count: int) -> list[bytes]:
    """The first ``count`` scanlines with PNG's per-row filters (None, Sub, Up, Average, Paeth) undone."""
    rows, previous = [], bytearray(stride)
    for y in range(count):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Render a results.json (or a report.html) to a PNG screenshot, offline."""
    parser = argparse.ArgumentParser(prog="python -m reports.browser", description=main.__doc__)
    parser.add_argument("source", type=Path, help="results.json or report.html")
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="osokit-browser-") as tmp:
        page = args.source
        if page.suffix == ".json":
            from reports.html import html_report
            from reports.results import Results

            page = Path(tmp) / "report.html"
            page.write_text(html_report(Results.load(args.source)), encoding="utf-8")
        rendering = render(page, Path(tmp) / "work", width=args.width, height=args.height)
        activity = net_activity(rendering.netlog)
        if activity.page_requests or activity.connected:
            print(f"network use: {activity}", file=sys.stderr)
            return 1
        args.png.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rendering.png, args.png)
    print(f"{args.png}: {args.png.stat().st_size:,} bytes, rendered offline in {rendering.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
