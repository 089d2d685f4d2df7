"""A known mix of traffic for the pages' tests: each kind of result once, an injected fault, a refused
session request, junk on the wire, and a batch (enough sessions for more than one page)."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

DOEL = "90AM"  # a vo school of the default scenario: the reference LAS requests dossiers for it
INJECTED_FAULT = """
name = "one-school-down"
[[rule]]
operation = "documentRequest"
school = "{brin}"
fault = "TijdelijkNietBeschikbaar"
"""


@dataclass
class Traffic:
    """Session ids by case, and the ids of the batch."""

    sessions: dict[str, str] = field(default_factory=dict)
    batch: list[str] = field(default_factory=list)
    batch_school: str = ""
    refused_bron: str = "12ZZ"
    injected_school: str = ""


def transfer(admin: httpx.Client, pupil: dict, **extra: object) -> dict:
    body = {"doel_brin": DOEL, "bron_brin": pupil["bron_brin"], "pgn": pupil["pgn"]} | extra
    answer = admin.post("/admin/las/transfers", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()["transfers"][0]


def seed(admin: httpx.Client, batch: int = 30) -> Traffic:
    traffic = Traffic()
    povo = admin.get("/admin/pupils/povo").json()
    cases = {
        "geslaagd": (povo, {}),
        "niet-gereed": (admin.get("/admin/pupils/not-ready").json(), {}),
        "geen-nieuwer": (povo, {"verzameldatum": "2099-01-01T00:00:00+00:00"}),
    }
    for case, (pupil, extra) in cases.items():
        traffic.sessions[case] = transfer(admin, pupil, **extra)["sessie_id"]
    refused = transfer(admin, povo, bron_brin=traffic.refused_bron)
    assert refused["sessie_id"] is None and refused["resultaat"] == "VerstrekkerNietBekend"

    cohort = admin.get("/admin/cohort", params={"profile": "povo", "limit": 400}).json()["pupils"]
    school = max({p["bron_brin"] for p in cohort}, key=lambda b: sum(p["bron_brin"] == b for p in cohort))
    pupils = [p for p in cohort if p["bron_brin"] == school][:batch]
    traffic.batch_school = school
    answer = admin.post(
        "/admin/las/transfers", json={"doel_brin": DOEL, "bron_brin": school, "pgns": [p["pgn"] for p in pupils]}
    )
    traffic.batch = [t["sessie_id"] for t in answer.json()["transfers"]]

    injected = next(p for p in cohort if p["bron_brin"] != school)
    traffic.injected_school = injected["bron_brin"]
    assert admin.post("/admin/faults", json={"toml": INJECTED_FAULT.format(brin=injected["bron_brin"])}).is_success
    traffic.sessions["injected"] = transfer(admin, injected)["sessie_id"]
    assert admin.post("/admin/faults", json={}).is_success  # and back to none

    junk = admin.post("/tc", content=b"<evil><script>alert(1)</script>", headers={"content-type": "text/xml"})
    assert junk.status_code == 500
    return traffic
