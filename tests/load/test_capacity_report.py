"""capacity.json against its schema, and capacity.html: the charts, every figure escaped, and the page
rendered by headless Chromium with the network shut off (as tests/reports/test_html_render.py does).

The document is made from hand-made steps through the same functions a run uses (load/knee.py,
load/report.py), with hostile text where a LAS's answers end up (failures, breaches).
"""

from __future__ import annotations

import copy
import json
import re

import pytest

from load import demand, knee, report, slo
from reports.browser import net_activity, png_info, render

SPEC = "p99<250ms,errors=0,conformance=0"
EVIL = '<script>alert("owned")</script> & "quotes"'


def steps(role: str) -> list[knee.Step]:
    made = []
    for n, offered in enumerate(knee.ladder(role, 12)[:6]):
        p99 = 60.0 * (n + 1)  # the SLO breaks at step 4 (300 ms)
        s = knee.Step(n, offered, max(1, int(offered)), 1000.0 + 5 * n, 1005.0 + 5 * n, requests=int(offered * 5))
        s.transfers, s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms = s.requests, p99 / 3, p99 * 0.8, p99, p99 * 1.2
        s.extra = {"simulator_cores": 0.1 * n, "generator_cores": 0.05, "failures": {EVIL: 1}}
        s.series = [{"t": 5.0 * n + k, "rps": offered, "p50_ms": p99 / 3, "p99_ms": p99} for k in range(5)]
        made.append(s)
    if role == "doel":
        for s in made:
            s.transfers = 50 * (s.index + 1)  # keeps scaling: only the latency breaks
    return made


@pytest.fixture
def document() -> dict:
    roles = {}
    for role in knee.ROLES:
        ladder = steps(role)
        knee.judge_all(role, ladder, slo.parse(SPEC))
        found = knee.knee(ladder)
        extra = {"sessions": {"opened": 10, "closed": 9, "left_open": 1, "results": {"OverdrachtGeslaagd": 9}}}
        roles[role] = report.role_document(
            role, ladder, found, demand.Demand.of(role, schools=60), [f"a warning with {EVIL}"], extra
        )
    return {
        "schema": "osokit-capacity/1",
        "run": {
            "started": "2026-03-02T09:00:00+01:00",
            "finished": "2026-03-02T09:10:00+01:00",
            "command": f"osokit load capacity --target http://127.0.0.1:9000/control --role both --out '{EVIL}'",
            "target": "http://127.0.0.1:9000/control",
            "vendor": "vut",
            "slo": SPEC,
            "step_s": 5,
            "max_rate": 12,
            "processes": 1,
            "remote_workers": 0,
            "simulator": {"url": "http://127.0.0.1:8700", "faults": None},
            "cores": 2,
        },
        "roles": roles,
    }


def test_the_document_matches_its_schema_and_a_broken_one_does_not(document, tmp_path):
    assert report.validate(document) == []
    assert document["roles"]["bron"]["knee"]["breaking_step"] == 4 and document["roles"]["bron"]["knee"]["found"]
    broken = copy.deepcopy(document)
    del broken["roles"]["doel"]["knee"]["sustainable_per_s"]
    broken["roles"]["bron"]["steps"][2]["p99_ms"] = "fast"
    broken["roles"]["bron"]["surprise"] = 1
    problems = report.validate(broken)
    assert "roles.doel.knee: missing required property 'sustainable_per_s'" in problems
    assert any(p.startswith("roles.bron.steps[2].p99_ms: expected number") for p in problems)
    assert "roles.bron: unexpected property 'surprise'" in problems
    with pytest.raises(report.ReportError, match="does not match its schema"):
        report.write(broken, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_page_has_three_charts_a_role_with_the_knee_marked_and_escapes_everything(document, tmp_path):
    paths = report.write(document, tmp_path)
    assert json.loads(paths["json"].read_text()) == document
    page = paths["html"].read_text()
    assert page.count("<svg") == 6 and "<script" not in page and EVIL not in page
    assert "&lt;script&gt;alert(" in page  # shown, as text
    shown = re.findall(r"<text[^>]*>([^<]*)</text>", page)  # the charts' text, kept as text
    assert {"knee: 3.0/s", "knee: 40.0/s", "SLO breaks", "SLO p99&lt;250ms"} <= set(shown)
    assert "bron sustains <b>3.0 transfers/s</b>" in page  # the knee: step 3, 3 transfers/s offered and done
    assert "default-src 'none'" in page and re.search(r"""(src|href)=["']?[a-z]+:""", page) is None


def test_the_page_renders_offline_in_chromium(chromium, document, tmp_path):
    paths = report.write(document, tmp_path)
    rendering = render(paths["html"], tmp_path / "chromium", width=1280, height=2600, chromium=chromium)
    info = png_info(rendering.png)
    assert (info.width, info.height) == (1280, 2600) and info.distinct_bytes > 100
    assert rendering.dom.count("<svg") == 6 and "knee: 40.0/s" in rendering.dom
    activity = net_activity(rendering.netlog)
    assert activity.page_requests == () and activity.connected == () and activity.responses == ()
