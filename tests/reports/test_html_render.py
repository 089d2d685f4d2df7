"""report.html rendered by headless Chromium (Debian's ``chromium``) with the network shut off.

Three runs, about a second each:

1. the report itself: screenshot is a real PNG of the requested size, painted (the FAIL banner's
   colour at the top, many distinct byte values), the DOM has the verdict and every check, the
   inline script ran (the CSP admits it by hash), and Chromium's net log shows no request from
   the page, no connection established, no response received;
2. a control page that does reference the outside world (a CDN stylesheet, an image, a script,
   and a server of our own on loopback): the net log shows each of its requests and that none
   got anywhere, so "no page requests" in run 1 is a measurement, not a blind spot;
3. the same control page with loopback allowed: the loopback request now connects and gets a
   response, so "nothing connected" in runs 1 and 2 is a measurement too.

A fourth run paints an INCOMPLETE report: its banner has a colour of its own, never PASS's green.

Chromium missing skips them (fails under CI=true: tests/conftest.py); ``OSOKIT_SKIP_BROWSER=1`` skips them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reports.browser import OFFLINE_HOST_RULES, net_activity, png_info, render
from reports.html import html_report
from reports.results import Results

WIDTH, HEIGHT = 1280, 2000
FAIL_BANNER = (0xB5, 0x3F, 0x00)
INCOMPLETE_BANNER = (0x7A, 0x55, 0x00)


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        type(self).hits.append(self.path)
        body = b"body { color: red; }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, list[str]]]:
    """A tiny HTTP server on 127.0.0.1 that counts what it is asked for; stopped after the test."""
    handler = type("Handler", (_Counting,), {"hits": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def control_page(tmp_path: Path, loopback: str) -> Path:
    page = tmp_path / "control.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="https://cdn.example.com/style.css">'
        f'<link rel="stylesheet" href="{loopback}/local.css"></head>'
        '<body><h1>control</h1><img src="http://images.example.org/x.png" alt="">'
        '<script src="https://cdn.example.net/app.js"></script></body></html>',
        encoding="utf-8",
    )
    return page


def test_report_renders_offline(chromium, sample: Results, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html_report(sample), encoding="utf-8")
    rendering = render(page, tmp_path / "chromium", width=WIDTH, height=HEIGHT, timeout=60, chromium=chromium)

    info = png_info(rendering.png)
    assert (info.width, info.height) == (WIDTH, HEIGHT)
    assert info.distinct_bytes > 100, "the screenshot looks blank"
    assert rendering.png.stat().st_size > 50_000
    assert info.pixel(4, 4)[:3] == FAIL_BANNER, "the inline CSS did not paint the FAIL banner"

    assert "✘ FAIL" in rendering.dom
    for check in sample.checks:
        assert check.id in rendering.dom
    assert "6 of 6 checks shown" in rendering.dom, "the inline script did not run"

    activity = net_activity(rendering.netlog)
    assert activity.page_requests == ()
    assert activity.connected == ()
    assert activity.responses == ()


def test_an_incomplete_run_gets_its_own_banner_never_green(chromium, sample_dict, tmp_path):
    for check in sample_dict["checks"]:
        check.update(outcome="passed" if check["outcome"] == "failed" else check["outcome"])
    sample_dict["summary"].update(passed=4, failed=0, must_failed=0, should_failed=0, verdict="incomplete")
    page = tmp_path / "report.html"
    page.write_text(html_report(Results.from_dict(sample_dict)), encoding="utf-8")
    rendering = render(page, tmp_path / "chromium", width=WIDTH, height=900, timeout=60, chromium=chromium)
    assert png_info(rendering.png).pixel(4, 4)[:3] == INCOMPLETE_BANNER
    assert "◐ INCOMPLETE" in rendering.dom and "2 MUST rules not tested (listed first below)" in rendering.dom


def test_the_blocking_stops_every_request_a_page_makes(chromium, tmp_path, loopback_server):
    loopback, hits = loopback_server
    page = control_page(tmp_path, loopback)
    rendering = render(page, tmp_path / "chromium", width=800, height=600, chromium=chromium)
    activity = net_activity(rendering.netlog)
    assert set(activity.page_requests) >= {
        "https://cdn.example.com/style.css",
        f"{loopback}/local.css",
        "http://images.example.org/x.png",
        "https://cdn.example.net/app.js",
    }
    assert activity.connected == () and activity.responses == () and hits == []
    assert "<h1>control</h1>" in rendering.dom


def test_the_net_log_shows_a_connection_when_there_is_one(chromium, tmp_path, loopback_server):
    loopback, hits = loopback_server
    page = control_page(tmp_path, loopback)
    allow_loopback = f"{OFFLINE_HOST_RULES}, EXCLUDE 127.0.0.1"
    rendering = render(page, tmp_path / "chromium", width=800, height=600, host_rules=allow_loopback, chromium=chromium)
    activity = net_activity(rendering.netlog)
    port = loopback.rsplit(":", 1)[1]
    assert activity.connected and set(activity.connected) == {f"127.0.0.1:{port}"}  # and nothing else
    assert activity.responses and all(" 200 " in line for line in activity.responses)
    assert "/local.css" in hits
