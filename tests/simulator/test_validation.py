"""The admin API's edge refuses what it cannot take with a 4xx that names the field, and keeps nothing of it:
the examples of issue 17 (a bare 500 or a stored change before), against the real server."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from simulator.validation import MAX_FAULT_RULES, MAX_JSON_BYTES

RULE = '[[rule]]\noperation = "overdrachtRequest"\nprobability = 0.1\nhttp_status = 503\n'


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("/admin/clock", {"advance_seconds": 1e300}, 400, "advance_seconds: Input should be less than or equal"),
        ("/admin/clock", {"advance_days": -1e12}, 400, "advance_days"),
        ("/admin/clock", {"advance_days": "1"}, 400, "advance_days: Input should be a valid number"),
        ("/admin/clock", {"set": "9999-12-31T23:59:59+00:00"}, 400, "set: Value error, a simulation clock"),
        ("/admin/clock", {"set": "2026-03-02T09:00:00"}, 400, "set: Input should have timezone info"),
        ("/admin/clock", {"sett": "2026-03-02T09:00:00+01:00"}, 400, "sett: Extra inputs are not permitted"),
        ("/admin/faults", {"toml": 5}, 400, "toml: Input should be a valid string"),
        ("/admin/faults", {"toml": RULE * (MAX_FAULT_RULES + 1)}, 400, f"at most {MAX_FAULT_RULES}"),
        ("/admin/register", {"kind": "vendor", "id": "vendor-x", "number": -1}, 400, "number: Input should be greater"),
        (
            "/admin/register",
            {"kind": "vendor", "id": "vendor-x", "number": 10**30},
            400,
            "number: Input should be less",
        ),
        ("/admin/register", {"kind": "vendor", "id": "vendor-x", "number": 7, "name": "x" * 201}, 400, "name"),
        ("/admin/register", {"kind": "vendor", "id": "vendor-x", "number": True}, 400, "number"),
        ("/admin/zoeksleutel", {"pgns": "111222333"}, 400, "pgns: Input should be a valid list"),
        ("/admin/las/transfers", {"doel_brin": ["x"], "bron_brin": "90AA"}, 400, "doel_brin: Input should be a valid"),
        ("/admin/las/notify", {"bron_brin": "90AA"}, 400, "doel_brin: Field required"),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("/") else None,
)
def test_a_bad_field_is_a_400_naming_it(world, path, body, status, says):
    register, clock = world.admin.get("/admin/register").json(), now(world)
    answer = world.admin.post(path, json=body)
    assert answer.status_code == status and says in answer.json()["error"], answer.text
    assert world.admin.get("/admin/register").json() == register and now(world) - clock < timedelta(minutes=1)


def now(world) -> datetime:
    return datetime.fromisoformat(world.admin.get("/admin/clock").json()["now"])


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * 100_000, "nested deeper than"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nested deeper than"),
        (b'{"advance_days": "\xff\xfe"}', "not UTF-8"),
        (b'{"advance_days": 1, "advance_days": 2}', "advance_days: given twice"),
        (b'{"advance_days": NaN}', "NaN is not a JSON number"),
        (b'{"advance_days": 1e999}', "advance_days"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"advance_days": 1', "body is not JSON"),
    ],
)
def test_broken_json_is_a_400(world, body, says):
    answer = world.admin.post("/admin/clock", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400 and says in answer.json()["error"], answer.text


def test_a_huge_body_is_refused_before_it_is_read_whole(world):
    name = "x" * (20 * 1024 * 1024)  # the 20 MB vendor name
    answer = world.admin.post("/admin/register", json={"kind": "vendor", "id": "vendor-x", "number": 7, "name": name})
    assert answer.status_code == 413 and f"more than {MAX_JSON_BYTES} bytes" in answer.json()["error"]
    assert "vendor-x" not in {v["id"] for v in world.admin.get("/admin/register").json()["vendors"]}


def test_huge_ids_name_nothing(world):
    assert world.admin.get(f"/admin/messages/{10**30}").status_code == 404
    assert world.admin.get(f"/admin/messages/{2**63 - 1}").status_code == 404
    assert world.admin.get(f"/messages/{10**30}").status_code == 404


def test_a_register_change_cannot_take_what_is_another_schools_or_vendors(world):
    register = world.admin.get("/admin/register").json()
    school = register["schools"][0]
    rk = school["endpoints"][0]["routeringskenmerk"]
    vendor = register["vendors"][0]
    refused = [
        (
            {"kind": "school", "brin": "12ZZ", "endpoints": [{"routeringskenmerk": rk}]},
            f"an aanleverpunt of {school['brin']}",
        ),
        ({"kind": "vendor", "id": "vendor-x", "number": vendor["number"]}, f"is vendor '{vendor['id']}''s"),
        ({"kind": "vendor", "id": vendor["id"], "number": vendor["number"] + 1}, "another name or number"),
    ]
    for change, says in refused:
        answer = world.admin.post("/admin/register", json=change)
        assert answer.status_code == 400 and says in answer.json()["error"], answer.text
    assert world.admin.get("/admin/register").json() == register
    # the same vendor again, unchanged, is no change at all: a harness may set up twice
    again = {"kind": "vendor", "id": vendor["id"], "name": vendor["name"], "number": vendor["number"]}
    assert world.admin.post("/admin/register", json=again).status_code == 200
