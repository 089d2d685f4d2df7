"""The pages in a real headless Chromium (Playwright driving Debian's chromium): filter, page, open a
message, set the clock, switch the fault profile, change the register, start a conformance run and
watch it finish. Every page stays on the simulator (no request goes anywhere else) and raises no
script error; at 1400 px nothing is cut off.

``OSOKIT_UPDATE_SCREENSHOTS=1`` also copies the screenshots to docs/screenshots/ (docs/ui.md shows them).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from reports.browser import png_info
from simulator.service import Config
from simulator.testing import World
from tests.conftest import ROOT
from tests.simulator.conftest import SMALL_COHORT
from tests.simulator.traffic import seed

SCREENSHOTS = ROOT / "docs" / "screenshots"
WIDTH, HEIGHT = 1400, 900


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    world = World(Config(data_dir=tmp_path_factory.mktemp("ui") / "data", cohort=SMALL_COHORT))
    try:
        yield world, seed(world.admin, batch=12)
    finally:
        world.close()


@pytest.fixture
def tab(browser, seeded, tmp_path):
    """A fresh page on the simulator that fails the test on a script error or a request elsewhere."""
    world, _ = seeded
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, base_url=world.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"script error: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    refusal = "the server responded with a status of 400"  # a form the API refused: the test checks what it says
    page.on("request", lambda r: None if r.url.startswith(world.url) else errors.append(f"request to {r.url}"))
    yield page
    context.close()
    assert [e for e in errors if refusal not in e] == []


def shot(page, tmp_path: Path, name: str) -> Path:
    """A screenshot of the viewport, checked to show something; copied to docs/ when asked."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    info = png_info(path)
    assert (info.width, info.height) == (WIDTH, HEIGHT) and info.distinct_bytes > 64, name
    if os.environ.get("OSOKIT_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / path.name)
    return path


def fits(page) -> None:
    """Nothing wider than the window: no horizontal scrolling, every table's last column in view."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    rights = page.evaluate(
        "Array.from(document.querySelectorAll('table.list tbody tr td:last-child'))"
        ".map(td => td.getBoundingClientRect().right)"
    )
    assert rights and max(rights) <= WIDTH


def test_filter_sessions_by_result(tab, seeded, tmp_path):
    _, traffic = seeded
    tab.goto("/")
    fits(tab)
    tab.select_option("select[name=result]", "answer")  # applies at once
    tab.wait_for_url(re.compile(r"result=answer"))
    rows = tab.locator("table.sessions tbody tr")
    assert rows.count() == 2
    ids = {rows.nth(n).locator("td").first.inner_text() for n in range(2)}
    assert ids == {traffic.sessions["niet-gereed"], traffic.sessions["geen-nieuwer"]}
    assert tab.locator("table.sessions tbody .badge.tone-answer").count() == 2
    assert tab.locator("table.sessions tbody .badge.tone-fault").count() == 0
    tab.select_option("select[name=result]", "")
    tab.wait_for_url(re.compile(r"result=(&|$)"))
    shot(tab, tmp_path, "ui-sessions")


def test_page_through_messages_and_open_one_with_its_headers(tab, tmp_path):
    tab.goto("/messages?per=25")
    fits(tab)
    newest = int(tab.locator("table.messages tbody tr").first.locator("td").first.inner_text())
    tab.click("nav.pager >> a[rel=next] >> nth=0")
    tab.wait_for_url(re.compile(r"page=2"))
    assert "26–50 of" in tab.locator("nav.pager").first.inner_text()
    assert int(tab.locator("table.messages tbody tr").first.locator("td").first.inner_text()) == newest - 25
    shot(tab, tmp_path, "ui-messages")

    tab.goto("/messages?operation=documentRequest")
    sent = tab.locator("table.messages tbody tr", has=tab.locator("td:nth-child(3)", has_text=re.compile("^out$")))
    sent.first.locator("td a").first.click()
    tab.wait_for_url(re.compile(r"/messages/\d+$"))
    headers = tab.locator("table.headers").inner_text().lower()
    assert "content-type\ttext/xml" in headers and "soapaction" in headers
    assert "documentRequest" in tab.locator("pre.body").inner_text()
    shot(tab, tmp_path, "ui-message")


def test_set_the_clock_and_see_a_refusal(tab, seeded, tmp_path):
    world, _ = seeded
    tab.goto("/admin/")
    tab.fill("input[name=set]", "2030-09-01T08:00:00+02:00")
    tab.check("input[name=frozen]")
    tab.click("text=Set the clock")
    tab.wait_for_selector("#clock output.ok")  # shown again after the page reloads
    assert "applied: POST /admin/clock" in tab.inner_text("#clock output.ok")
    assert "2030-09-01 08:00:00 +02:00" in tab.inner_text("header.bar")
    clock = world.admin.get("/admin/clock").json()
    assert clock["frozen"] and clock["now"].startswith("2030-09-01T08:00:00")

    tab.fill("input[name=set]", "2030-13-01T08:00:00+02:00")
    tab.click("text=Set the clock")
    refused = tab.wait_for_selector("#clock output.error")
    assert refused.inner_text().startswith("refused: ") and "month" in refused.inner_text()
    assert world.admin.get("/admin/clock").json() == clock
    shot(tab, tmp_path, "ui-admin")


def test_switch_the_fault_profile_and_edit_the_register(tab, seeded):
    world, _ = seeded
    tab.goto("/admin/")
    tab.select_option("#profile-choice", "flaky-bron")
    assert 'name = "flaky-bron"' in tab.input_value("textarea[name=toml]")
    tab.click("text=Switch the fault profile")
    tab.wait_for_selector("#faults output.ok")
    assert world.admin.get("/admin/faults").json()["name"] == "flaky-bron"
    assert "faults: flaky-bron" in tab.inner_text("header.bar")
    tab.select_option("#profile-choice", "")
    tab.click("text=Switch the fault profile")
    tab.wait_for_selector("#faults output.ok")
    assert world.admin.get("/admin/faults").json()["rules"] == 0

    first = tab.locator("form.endpoint").first
    rk = first.locator("input[name=routeringskenmerk]").input_value()
    first.locator("button", has_text="deactivate").click()
    tab.wait_for_selector("form.endpoint output.ok")
    endpoints = [e for s in world.admin.get("/admin/register").json()["schools"] for e in s["endpoints"]]
    assert next(e for e in endpoints if e["routeringskenmerk"] == rk)["active"] is False
    assert "activate" in tab.locator("form.endpoint").first.locator("button").inner_text()

    vendor = tab.locator("form", has=tab.locator("input[name=kind][value=vendor]"))
    vendor.locator("input[name=id]").fill("Not An Id")
    vendor.locator("input[name=number]").fill("77")
    vendor.locator("button").click()
    assert "lowercase letters" in tab.wait_for_selector("#register output.error").inner_text()
    vendor.locator("input[name=id]").fill("vendor-ui")
    vendor.locator("button").click()
    tab.wait_for_selector("#register output.ok")
    vendors = world.admin.get("/admin/register").json()["vendors"]
    assert {"id": "vendor-ui", "name": "vendor-ui", "number": 77} in vendors


def test_start_a_conformance_run_watch_it_finish_and_open_its_report(tab, tmp_path):
    tab.goto("/runs")
    tab.fill("input[name=target]", "reference")
    tab.check("input[name=role][value=bron]")
    tab.uncheck("input[name=transfers][value=povo]")
    tab.uncheck("input[name=transfers][value=vovo]")
    tab.click("text=Start the run")
    tab.wait_for_url(re.compile(r"/runs/\d{8}-\d{6}-[0-9a-f]{4}$"))
    verdict = tab.wait_for_selector("#verdict:not([hidden])", timeout=180_000)
    assert verdict.inner_text() == "PASS", tab.inner_text("#console")
    assert tab.eval_on_selector("#progress", "p => p.value === p.max && p.max > 1")
    assert re.search(r"(\d+) of \1 checks done, 0 failed", tab.inner_text("#counts"))
    assert "verdict: PASS" in tab.inner_text("#console")
    shot(tab, tmp_path, "ui-run")
    tab.click("#reports >> text=report.html")
    tab.wait_for_url(re.compile(r"/report/report\.html$"))
    assert tab.title().startswith("PASS")
