import base64
import hashlib
import time
from html.parser import HTMLParser

from lxml import etree

from reports.html import CSS, SCRIPT, html_report
from reports.results import Results
from reports.text import BODY_LIMIT

VOID = {"meta", "br", "input", "rect", "link", "img", "hr", "wbr"}


def parse(page: str) -> etree._Element:
    parser = etree.HTMLParser(recover=False)
    root = etree.fromstring(page.encode("utf-8"), parser)
    assert len(parser.error_log) == 0, list(parser.error_log)
    return root


class TagBalance(HTMLParser):
    """Every non-void element closed in order: what a lenient parser would silently repair."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'} at {self.getpos()}")
        else:
            self.stack.pop()


def test_is_well_formed_html(sample):
    page = html_report(sample)
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')
    root = parse(page)
    balance = TagBalance()
    balance.feed(page)
    balance.close()
    assert balance.problems == [] and balance.stack == []
    ids = root.xpath("//@id")
    assert len(ids) == len(set(ids))
    assert len(root.xpath("//h1")) == 1


def test_every_check_and_rule_appears(sample):
    root = parse(html_report(sample))
    text = root.xpath("string(//body)")
    for check in sample.checks:
        assert check.id in text and check.rule in text
    for rule in sample.rules:
        assert rule.id in text and rule.text in text and rule.source in text
    rows = root.xpath('//table[@id="checks-table"]/tbody/tr')
    assert [r.get("data-outcome") for r in rows] == [c.outcome for c in sample.checks]
    assert rows[1].xpath("string(td[1])") == "✘ failed" and rows[0].xpath("string(td[1])") == "✔ passed"


def test_header_shows_verdict_target_seed_and_reproduce_command(sample):
    root = parse(html_report(sample))
    assert root.xpath("string(//header//*[@class='verdict'])") == "✘ FAIL"
    assert "1 MUST check failed; 2 MUST rules not tested; 1 SHOULD check failed" in root.xpath("string(//header)")
    run = root.xpath("string(//section[@id='run'])")
    for fact in ("mutant:skip-inzage", "skip-inzage", "42", "run-20250301-100000-42", "osokit 0.1.0", "python 3.11.7"):
        assert fact in run
    assert root.xpath("string(//section[@id='run']//pre[@class='cmd'])") == sample.run.command
    assert "<title>FAIL · osokit conformance · mutant:skip-inzage</title>" in html_report(sample)


def test_pass_incomplete_and_error_verdicts(sample_dict):
    untested = sample_dict.pop("untested")
    for check in sample_dict["checks"]:
        check.update(outcome="passed", message=None)
    sample_dict["summary"].update(
        passed=6, failed=0, skipped=0, errors=0, must_failed=0, should_failed=0, untested=0, verdict="pass"
    )
    root = parse(html_report(Results.from_dict({**sample_dict, "untested": []})))
    assert root.xpath("string(//header//*[@class='verdict'])") == "✔ PASS"
    assert root.xpath("string(//header/@class)") == "top pass"
    assert "every MUST rule that applies ran and passed" in root.xpath("string(//header)")
    assert "No check failed." in root.xpath("string(//section[@id='failures'])")
    assert root.xpath("//section[@id='untested']") == []

    sample_dict["summary"].update(untested=2, verdict="incomplete")
    page = html_report(Results.from_dict({**sample_dict, "untested": untested}))
    root = parse(page)
    assert root.xpath("string(//header//*[@class='verdict'])") == "◐ INCOMPLETE"
    assert root.xpath("string(//header/@class)") == "top incomplete"
    assert "2 MUST rules not tested (listed first below)" in root.xpath("string(//header)")
    assert [s.get("id") for s in root.xpath("//main/section")][:2] == ["untested", "run"], "not tested comes first"
    listed = root.xpath("//section[@id='untested']//li")
    assert [li.xpath("string(a/code)") for li in listed] == ["OSOKIT-TR-SC01", "OVa.LL13"]
    assert "To test it: none in this osokit version" in listed[1].xpath("string(.)")
    assert root.xpath("string(//nav//a[1])") == "Not tested (2)"

    for check in sample_dict["checks"]:
        check.update(outcome="error", message="ConnectionRefusedError: the target is not listening")
    sample_dict["summary"].update(passed=0, errors=6, must_failed=0, should_failed=0, verdict="error")
    root = parse(html_report(Results.from_dict({**sample_dict, "untested": untested})))
    assert root.xpath("string(//header//*[@class='verdict'])") == "⚠ ERROR"
    assert "no check reached a verdict: all 6 ended in an error" in root.xpath("string(//header)")
    assert len(root.xpath('//section[@id="failures"]/article')) == 6
    stopped = {"why": "unreachable", "message": "the LAS's control API stopped answering"}
    root = parse(
        html_report(
            Results.from_dict({**sample_dict, "untested": untested, "run": {**sample_dict["run"], "stopped": stopped}})
        )
    )
    assert "the run stopped: the LAS's control API stopped answering" in root.xpath("string(//header)")


def test_rules_table_must_first_failing_first(sample):
    root = parse(html_report(sample))
    groups = root.xpath('//table[@id="rules-table"]/tbody')
    assert [g.xpath("string(tr[1])") for g in groups] == ["MUST rules (4, 1 failing)", "SHOULD rules (1, 1 failing)"]
    ids = [r.xpath("string(td[2]/code)") for r in root.xpath('//table[@id="rules-table"]/tbody/tr[td]')]
    assert ids == ["OVa.IZ02", "OSOKIT-TR-SC01", "OVa.LL13", "OVb.LL01", "OG.cat_03"]
    results = [r.xpath("string(td[1])") for r in root.xpath('//table[@id="rules-table"]/tbody/tr[td]')]
    assert results == ["✘ fail", "⚠ error", "○ untested", "– not-applicable", "✘ fail"]


def test_failures_show_expected_found_rerun_and_pretty_evidence(sample):
    root = parse(html_report(sample))
    articles = root.xpath('//section[@id="failures"]/article')
    assert [a.get("id") for a in articles] == ["f1", "f3", "f4"]  # MUST first, then SHOULD
    first = articles[0]
    said = dict(
        zip(first.xpath("dl[@class='said']/dt/text()"), first.xpath("dl[@class='said']/dd/text()"), strict=True)
    )
    check = sample.checks[1]
    assert said == {"expected": check.expected, "found": check.found, "where": check.where}
    assert first.xpath("pre[@class='message']") == [], "the words, not the message, when there are words"
    assert articles[1].xpath("string(pre[@class='message'])") == sample.checks[3].message
    assert first.xpath("string(pre[@class='cmd'])") == check.rerun
    assert "add --show-pgn to the re-run line" in first.xpath("string(p[@class='small'][last()])")
    details = first.xpath(".//details")
    assert [d.get("open") for d in details] == [None, ""] and details[1].get("class") == "offending"
    assert "▶ shows the failure" in details[1].xpath("string(summary)")
    assert "Evidence (2 messages, 1 marked ▶ show the failure)" in first.xpath("string(.)")
    assert details[0].xpath("string(pre[@class='headers'])") == (
        'Content-Type: text/xml; charset=utf-8\nSOAPAction: "document"'
    )
    assert "#18" in details[1].xpath("string(summary)") and "HTTP 200" in details[1].xpath("string(summary)")
    body = details[1].xpath("string(pre[@class='body'])")
    assert '<script>alert("owned")</script>' in body  # shown as text ...
    assert 'achternaam="Jansen &amp; &quot;Zn&quot;"' in body  # ... XML entities as the vendor sent them
    assert "\n      <dossier>\n        <naam " in body  # pretty-printed
    assert "none recorded" in articles[2].xpath("string(.)")
    assert "is-error" in articles[1].get("class")


def test_data_cannot_inject_markup(sample):
    page = html_report(sample)
    root = parse(page)
    assert len(root.xpath("//script")) == 1 and root.xpath("string(//script)") == SCRIPT
    assert page.count("<script") == 1
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in page
    assert root.xpath("//*[@onload or @onerror or @onclick]") == []


def test_nothing_is_loaded_from_anywhere(sample):
    page = html_report(sample)
    root = parse(page)
    assert root.xpath("//@src") == []
    hrefs = root.xpath("//@href")
    assert hrefs and all(h.startswith("#") for h in hrefs)
    ids = set(root.xpath("//@id"))
    assert {h[1:] for h in hrefs} <= ids  # every in-page link lands somewhere
    assert "url(" not in CSS and "@import" not in CSS
    # URLs appear only as text inside evidence bodies (XML namespaces)
    for pre in root.xpath("//pre[@class='body']"):
        pre.getparent().remove(pre)
    rest = etree.tostring(root, encoding="unicode", method="html")
    assert "http://" not in rest and "https://" not in rest and "file:" not in rest


def test_content_security_policy_pins_style_and_script(sample):
    root = parse(html_report(sample))
    (csp,) = root.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp.startswith("default-src 'none';")
    for source in (root.xpath("string(//style)"), root.xpath("string(//script)")):
        digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_readable_without_javascript(sample):
    root = parse(html_report(sample))
    (controls,) = root.xpath("//div[@id='filter']")
    assert controls.get("hidden") is not None  # only the script reveals the filter controls
    assert root.xpath("//tr[@hidden]") == []  # and nothing is hidden that JavaScript must reveal


def test_control_characters_and_huge_bodies(sample_dict):
    evidence = sample_dict["checks"][1]["evidence"][1]
    evidence["body"] = "\x00\x1b[0m not xml " + "x" * (BODY_LIMIT + 5000)
    sample_dict["checks"][1]["found"] = "odd \x07 bell and \ud83d half an emoji"
    page = html_report(Results.from_dict(sample_dict))
    page.encode("utf-8")  # no lone surrogate left
    root = parse(page)
    assert "odd \u2407 bell and \ufffd half an emoji" in root.xpath("string(//article[@id='f1']/dl[@class='said'])")
    body = root.xpath("string(//article[@id='f1']//details[2]/pre)")
    assert body.startswith("\u2400\u241b[0m not xml ") and body.endswith("… 5,014 more characters in results.json")


def test_scales_to_thousands_of_checks(large):
    results = large(1500)
    started = time.perf_counter()
    page = html_report(results)
    elapsed = time.perf_counter() - started
    assert elapsed < 3, f"{elapsed:.1f} s"
    root = parse(page)
    assert len(root.xpath('//table[@id="checks-table"]/tbody/tr')) == 1500
    assert len(root.xpath('//section[@id="failures"]/article')) == 150
    assert len(page) < 2_000_000
