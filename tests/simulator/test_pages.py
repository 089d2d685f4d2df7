"""The pages for people, over HTTP: search, filters and paging of sessions and messages, right answers
told from faults, refused requests and transfers shown, headers, the admin page, and conformance runs
started, followed and opened. (The same pages in a real browser: test_ui_browser.py.)"""

from __future__ import annotations

import re
import time

import pytest
from lxml import html

from simulator.service import Config
from simulator.testing import World
from tests.simulator.conftest import SMALL_COHORT
from tests.simulator.traffic import DOEL, seed


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    cohort = SMALL_COHORT | {"povo": 80}  # a school with more pupils than a page holds
    world = World(Config(data_dir=tmp_path_factory.mktemp("pages") / "data", cohort=cohort))
    try:
        yield world, seed(world.admin)
    finally:
        world.close()


def page(world, path: str, status: int = 200, **params: object) -> html.HtmlElement:
    answer = world.admin.get(path, params=params or None, headers={"accept": "text/html"})
    assert answer.status_code == status, answer.text[-2000:]
    assert answer.headers["content-type"].startswith("text/html")
    return html.fromstring(answer.text)


def column(doc: html.HtmlElement, table: str, n: int) -> list[str]:
    """The text of column ``n`` (0-based) of every row of the list table ``table``, empty rows left out."""
    rows = doc.xpath(f"//table[contains(@class, '{table}')]/tbody/tr[not(td[contains(@class, 'empty')])]")
    return [" ".join(row.xpath("./td")[n].text_content().split()) for row in rows]


def sessions(world, **params: object) -> list[str]:
    return column(page(world, "/", **params), "sessions", 0)


def test_sessions_filter_by_result_tells_right_answers_from_faults(seeded):
    world, traffic = seeded
    answers = sessions(world, result="answer")
    assert set(answers) == {traffic.sessions["niet-gereed"], traffic.sessions["geen-nieuwer"]}
    faulty = sessions(world, result="fault")
    assert traffic.sessions["injected"] in faulty and not set(answers) & set(faulty)
    assert traffic.sessions["geslaagd"] in sessions(world, result="ok", per=100)
    assert sessions(world, result="DossierNietGereed") == [traffic.sessions["niet-gereed"]]

    doc = page(world, f"/sessions/{traffic.sessions['geen-nieuwer']}")
    badge = doc.xpath("//p[@class='lead']/span[contains(@class, 'badge')]")[0]
    assert "tone-answer" in badge.get("class") and "GeenNieuwerDossier" in badge.text_content()
    assert "right answer" in doc.text_content()


def test_sessions_filter_by_school_vendor_kind_state_injected_and_search(seeded):
    world, traffic = seeded
    batch = sessions(world, school=traffic.batch_school, per=100)
    assert set(batch) == set(traffic.batch) and len(batch) == len(traffic.batch)
    assert sessions(world, school=DOEL, per=100) == sessions(world, per=100)  # every session goes to DOEL
    assert len(sessions(world, vendor="reference", per=100)) == len(sessions(world, per=100))
    assert sessions(world, school=traffic.batch_school, vendor="reference", per=100) == batch
    assert sessions(world, kind="overdrachtbinnenbrin") == []
    assert len(sessions(world, state="afgemeld", per=100)) == len(sessions(world, per=100))
    assert sessions(world, injected=1) == [traffic.sessions["injected"]]
    wanted = traffic.batch[3]
    assert sessions(world, q=wanted[:13]) == [wanted]


def test_sessions_are_paged_and_the_pager_keeps_the_filters(seeded):
    world, _ = seeded
    every = {s["sessie_id"] for s in world.admin.get("/admin/sessions", params={"limit": 1000}).json()["sessions"]}
    assert len(every) > 25
    first = page(world, "/", kind="overstapdossier", per=25)
    assert len(column(first, "sessions", 0)) == 25
    older = first.xpath("//nav[@class='pager']/a[@rel='next']/@href")[0]
    assert "kind=overstapdossier" in older and "page=2" in older and "per=25" in older
    second = page(world, "/" + older)
    assert len(column(second, "sessions", 0)) == len(every) - 25
    assert set(column(second, "sessions", 0)) | set(column(first, "sessions", 0)) == every
    assert "26–" in second.xpath("//nav[@class='pager']/span")[0].text_content()
    beyond = page(world, "/", kind="overstapdossier", per=25, page=9)
    assert column(beyond, "sessions", 0) == [] and "No sessions match" in beyond.text_content()


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"page": "x"}, "page 'x' is not a whole number"),
        ({"page": "0"}, "at least 1"),
        ({"per": "7"}, "per must be one of 25, 50, 100, 200"),
        ({"result": "<b>bogus</b>"}, "result '<b>bogus</b>' is not one of the choices"),
        ({"state": "half"}, "state 'half' is not one of"),
    ],
)
def test_a_bad_filter_is_a_400_page_that_says_which(seeded, params, says):
    world, _ = seeded
    answer = world.admin.get("/", params=params)
    assert answer.status_code == 400 and "<b>bogus" not in answer.text
    assert says in html.fromstring(answer.text).text_content()


def test_messages_filter_by_operation_result_school_and_injected_keeps_exchanges_whole(seeded):
    world, traffic = seeded
    docs = page(world, "/messages", operation="documentRequest", per=200)
    operations = set(column(docs, "messages", 4))
    assert operations == {"documentRequest", "documentResponse"}
    injected = page(world, "/messages", injected=1)
    results = column(injected, "messages", 6)
    assert any("injected fault" in r for r in results) and len(results) % 2 == 0
    answers = column(page(world, "/messages", result="answer", per=200), "messages", 6)
    assert {r for r in answers if r != "request"} <= {"↩ DossierNietGereed", "↩ GeenNieuwerDossier"}
    assert any("DossierNietGereed" in r for r in answers) and "request" in answers
    junk = page(world, "/messages", result="XmlNietWelgevormd")
    assert column(junk, "messages", 6) == ["✘ XmlNietWelgevormd", "✘ XmlNietWelgevormd"]
    school = column(page(world, "/messages", school=traffic.injected_school, per=200), "messages", 8)
    assert set(school) == {traffic.sessions["injected"][:8]}


def test_refused_session_requests_and_transfers_appear(seeded):
    world, traffic = seeded
    home = page(world, "/")
    link = home.xpath("//a[contains(., 'session request')]")[0]
    assert "1 session request refused" in link.text_content()
    refused = page(world, link.get("href"))
    assert "✘ VerstrekkerNietBekend" in column(refused, "messages", 6)
    rows = page(world, "/transfers", per=100).xpath("//table[contains(@class, 'transfers')]/tbody/tr")
    texts = [" ".join(r.text_content().split()) for r in rows]
    refused_row = next(t for t in texts if traffic.refused_bron in t)
    assert "refused: no session" in refused_row and "VerstrekkerNietBekend" in refused_row
    assert len(rows) == len(traffic.batch) + len(traffic.sessions) + 1


def test_a_message_page_shows_its_headers(seeded):
    world, _ = seeded
    sent = world.admin.get("/admin/messages", params={"operation": "documentRequest", "limit": 1000}).json()
    outbound = next(m for m in sent["messages"] if m["direction"] == "out" and m["headers"])
    headers = headers_shown(page(world, f"/messages/{outbound['id']}"))
    assert headers and headers == outbound["headers"]
    # a message received has its headers too, as they came in (names in lower case)
    inbound = next(m for m in sent["messages"] if m["direction"] == "in")
    headers = headers_shown(page(world, f"/messages/{inbound['id']}"))
    assert headers == inbound["headers"]
    assert headers["content-type"] == "text/xml; charset=utf-8" and headers["soapaction"] == '"document"'
    assert page(world, "/messages/999999", 404) is not None


def headers_shown(doc: html.HtmlElement) -> dict[str, str]:
    return {
        " ".join(r.xpath("./th")[0].text_content().split()): r.xpath("./td")[0].text_content()
        for r in doc.xpath("//table[@class='headers']/tbody/tr")
    }


PYTHON_TEXT = re.compile(r"\bNone\b|\[\s*'|\[\s*\(|\{\s*'|\bTrue\b|\bFalse\b")


def test_no_python_values_leak_into_any_page(seeded):
    world, traffic = seeded
    some_message = world.admin.get("/admin/messages", params={"limit": 1}).json()["messages"][0]["id"]
    paths = [
        "/",
        "/messages",
        "/transfers",
        "/admin/",
        "/runs",
        f"/sessions/{traffic.sessions['geslaagd']}",
        f"/sessions/{traffic.sessions['injected']}",
        f"/messages/{some_message}",
    ]
    for path in paths:
        doc = page(world, path)
        for bad in doc.xpath("//script | //style | //textarea | //pre"):  # code and data, not prose
            bad.drop_tree()
        text = doc.text_content()
        assert not PYTHON_TEXT.search(text), (path, PYTHON_TEXT.search(text).group(), text[:500])


def test_admin_index_is_json_for_programs_and_a_page_for_browsers(seeded):
    world, _ = seeded
    api = world.admin.get("/admin/")
    assert api.headers["content-type"] == "application/json" and "/admin/clock" in str(api.json()["endpoints"])
    doc = page(world, "/admin/")
    forms = {f.get("data-api") for f in doc.xpath("//form[@data-api]")}
    assert forms == {"/admin/clock", "/admin/faults", "/admin/register"}
    rks = doc.xpath("//form[contains(@class, 'endpoint')]/input[@name='routeringskenmerk']/@value")
    assert len(rks) == len(world.admin.get("/admin/register").json()["schools"])


def test_search_text_is_escaped_where_it_is_shown_again(seeded):
    world, _ = seeded
    answer = world.admin.get("/", params={"q": "<script>alert(1)</script>"})
    assert answer.status_code == 200 and "<script>alert" not in answer.text
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in answer.text


def test_static_files_and_nothing_else(seeded):
    world, _ = seeded
    assert world.admin.get("/static/ui.css").headers["content-type"].startswith("text/css")
    assert world.admin.get("/static/ui.js").headers["content-type"].startswith("text/javascript")
    assert world.admin.get("/static/../service.py").status_code == 404
    assert world.admin.get("/static/pages.py").status_code == 404


# --- conformance runs --------------------------------------------------------------------------


def wait_for(world, run_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = world.admin.get(f"/runs/{run_id}/status").json()
        if status["state"] != "running":
            return status
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish within {timeout} s")


@pytest.mark.parametrize(
    ("request_", "says"),
    [
        ({"target": "ftp://x"}, "use reference, mutant:<name> or the http(s) URL"),
        ({"target": "--help"}, "use reference"),
        ({"target": "reference", "role": "all"}, "role 'all'"),
        ({"target": "reference", "transfers": ["popo", "mbo"]}, "choose one or more of popo, povo, vovo"),
        ({"target": "reference", "transfers": "popo"}, "choose one or more"),
        ({"target": "reference", "lang": "de"}, "lang 'de': use one of en, nl"),
    ],
)
def test_a_run_request_is_checked_before_anything_starts(seeded, request_, says):
    world, _ = seeded
    answer = world.admin.post("/runs", json=request_)
    assert answer.status_code == 400 and says in answer.json()["error"]
    assert world.admin.post("/runs", content=b"{nope").status_code == 400


def test_a_run_goes_one_at_a_time_shows_progress_and_serves_its_reports(seeded):
    world, _ = seeded
    started = world.admin.post("/runs", json={"target": "reference", "role": "bron", "transfers": ["popo"]})
    assert started.status_code == 201, started.text
    run_id = started.json()["id"]
    busy = world.admin.post("/runs", json={"target": "reference"})
    assert busy.status_code == 409 and run_id in busy.json()["error"]
    status = wait_for(world, run_id)
    assert status["code"] == 0 and status["verdict"] == "PASS", status["console"]
    assert status["progress"]["total"] > 0 and status["progress"]["done"] == status["progress"]["total"]
    assert status["progress"]["failed"] == 0 and "verdict: PASS" in status["console"]
    assert status["command"].startswith("osokit conformance run --target reference --role bron --transfer popo")
    assert {"report.html", "results.json", "junit.xml"} <= set(status["reports"])
    report = world.admin.get(f"/runs/{run_id}/report/report.html")
    assert report.status_code == 200 and "PASS" in report.text
    assert world.admin.get(f"/runs/{run_id}/report/results.json").json()["summary"]["verdict"] == "pass"
    for name in ("..%2Frun.json", "%2E%2E%2Fconsole.log", ".hidden", "nothing.html"):
        assert world.admin.get(f"/runs/{run_id}/report/{name}").status_code == 404, name
    assert world.admin.post(f"/runs/{run_id}/report/report.html").status_code == 405  # read-only
    listed = page(world, "/runs")
    assert run_id in column(listed, "runs", 0)[0] and "PASS" in column(listed, "runs", 6)[0]


def test_a_failing_run_says_fail_and_which_checks(seeded):
    world, _ = seeded
    started = world.admin.post("/runs", json={"target": "mutant:bron-leaks-pgn", "role": "bron", "transfers": ["povo"]})
    status = wait_for(world, started.json()["id"])
    assert status["code"] == 1 and status["verdict"] == "FAIL" and status["progress"]["failed"] > 0
    assert "FAILED" in status["console"]
    doc = page(world, f"/runs/{status['id']}")
    assert "verdict-fail" in doc.xpath("//span[@id='verdict']/@class")[0]


def test_a_run_that_cannot_be_set_up_says_error(seeded):
    world, _ = seeded
    started = world.admin.post("/runs", json={"target": "mutant:no-such-mutant"})
    status = wait_for(world, started.json()["id"])
    assert status["code"] == 2 and status["verdict"] == "ERROR" and "no such mutant" in status["console"]
