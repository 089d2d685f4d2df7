"""The helpers behind the headless-Chromium test, checked on hand-made inputs (no browser needed)."""

import json
import struct
import zlib
from pathlib import Path

import pytest

from reports import browser
from reports.browser import BrowserError, command, net_activity, png_info


def write_png(path: Path, rows: list[bytes], width: int, filters: list[int]) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(bytes([f]) + row for f, row in zip(filters, rows, strict=True))
    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )
    return path


def test_png_info_decodes_size_and_filtered_rows(tmp_path):
    # two RGB pixels per row; row 0 unfiltered, row 1 "Up" (+1 on each byte), row 2 "Sub", row 3 "Paeth"
    rows = [bytes([10, 20, 30, 40, 50, 60]), bytes([1] * 6), bytes([5, 5, 5, 1, 1, 1]), bytes([0] * 6)]
    info = png_info(write_png(tmp_path / "x.png", rows, 2, [0, 2, 1, 4]))
    assert (info.width, info.height) == (2, 4)
    assert info.top[0] == ((10, 20, 30), (40, 50, 60))
    assert info.top[1] == ((11, 21, 31), (41, 51, 61))
    assert info.top[2] == ((5, 5, 5), (6, 6, 6))
    assert info.top[3] == ((5, 5, 5), (6, 6, 6))  # Paeth predicts from above
    assert info.pixel(1, 1) == (41, 51, 61)


def test_png_info_refuses_other_files(tmp_path):
    (tmp_path / "x.png").write_bytes(b"GIF89a")
    with pytest.raises(ValueError, match="not a PNG"):
        png_info(tmp_path / "x.png")


def netlog(path: Path, events: list[dict], cut: bool = False) -> Path:
    types = {"URL_REQUEST_START_JOB": 1, "TCP_CONNECT": 2, "HTTP_TRANSACTION_READ_RESPONSE_HEADERS": 3}
    constants = {"logEventTypes": types, "logEventPhase": {"PHASE_BEGIN": 1, "PHASE_END": 2, "PHASE_NONE": 0}}
    events = [{**e, "type": types[e["type"]]} for e in events]
    text = json.dumps({"constants": constants, "events": events})
    if cut:  # what Chromium leaves when it is killed mid-write
        text = text[: -len("]}")] + ","
    path.write_text(text, encoding="utf-8")
    return path


EVENTS = [
    {
        "type": "URL_REQUEST_START_JOB",
        "phase": 1,
        "params": {"initiator": "not an origin", "url": "https://update.example/"},
    },
    {"type": "URL_REQUEST_START_JOB", "phase": 1, "params": {"initiator": "null", "url": "https://cdn.example/x.css"}},
    {"type": "URL_REQUEST_START_JOB", "phase": 1, "params": {"initiator": "null", "url": "data:image/png;base64,AAAA"}},
    {"type": "TCP_CONNECT", "phase": 2, "params": {"net_error": -102}},
    {"type": "TCP_CONNECT", "phase": 2, "params": {"remote_address": "127.0.0.1:8000"}},
    {"type": "HTTP_TRANSACTION_READ_RESPONSE_HEADERS", "phase": 0, "params": {"headers": ["HTTP/1.1 200 OK"]}},
]


@pytest.mark.parametrize("cut", [False, True])
def test_net_activity_separates_page_requests_from_chromium_background(tmp_path, cut):
    activity = net_activity(netlog(tmp_path / "n.json", EVENTS, cut=cut))
    assert activity.page_requests == ("https://cdn.example/x.css",)
    assert activity.connected == ("127.0.0.1:8000",)
    assert activity.responses == ("HTTP/1.1 200 OK",)


def test_command_blocks_the_network(tmp_path):
    argv = command("/usr/bin/chromium", tmp_path / "r.html", tmp_path)
    assert "--headless" in argv and "--no-sandbox" in argv and "--disable-gpu" in argv
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in argv and "--proxy-server=127.0.0.1:9" in argv
    assert argv[-1] == (tmp_path / "r.html").resolve().as_uri()


def test_missing_chromium_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setattr(browser, "find_chromium", lambda: None)
    with pytest.raises(BrowserError, match=r"apt-get install -y chromium"):
        browser.render(tmp_path / "r.html", tmp_path)


def test_the_docs_screenshot_is_a_small_png():
    shot = Path(__file__).parents[2] / "docs" / "report-screenshot.png"
    info = png_info(shot, top_rows=8)
    assert info.width >= 1000 and info.height >= 1000
    assert shot.stat().st_size < 500_000
