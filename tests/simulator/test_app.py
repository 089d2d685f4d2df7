"""The HTTP edge: WSDLs, non-SOAP requests, the evidence log and its pages, admin, state across restarts."""

from __future__ import annotations

import json

import httpx
import pytest
from lxml import etree

from oso import envelope, faults
from oso import transport as t
from oso.faults import OsoFault
from simulator.service import DB_NAME, Config, Simulator
from simulator.store import Store
from simulator.testing import World
from tests.simulator.conftest import SMALL_COHORT


def test_health_and_wsdls(world):
    assert world.admin.get("/healthz").json()["status"] == "ok"
    tc = world.admin.get("/tc?wsdl")
    assert tc.status_code == 200 and f'location="{world.url}/tc"' in tc.text
    rk = world.school("po")[1]
    school = world.admin.get(f"/schools/{rk}?wsdl").text
    assert f'location="{world.url}/schools/{rk}"' in school and f"{world.url}/schemas/transport.xsd" in school
    etree.XMLSchema(etree.fromstring(world.admin.get("/schemas/transport.xsd").content))


@pytest.mark.parametrize("path", ["%1F", "a%22%3E%3Cx%3E", "%C3%A9%26"])
def test_a_wsdl_for_any_school_path_is_xml_with_the_address_percent_encoded(world, path):
    """Found by the endpoint fuzz: a control character in the path, escaped as XML, is still no XML."""
    answer = world.admin.get(f"/schools/{path}?wsdl")
    wsdl = etree.fromstring(answer.content)
    address = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")
    assert address == f"{world.url}/schools/{path}"


@pytest.mark.parametrize(
    ("method", "headers", "body", "status", "code"),
    [
        ("GET", {}, b"", 405, faults.METHODE_NIET_TOEGESTAAN),
        ("POST", {"content-type": "application/json"}, b'{"a": 1}', 415, faults.GEEN_SOAP_VERZOEK),
        ("POST", {}, b"<x/>", 415, faults.GEEN_SOAP_VERZOEK),
    ],
)
def test_non_soap_requests_get_a_4xx_with_a_code(world, method, headers, body, status, code):
    response = world.admin.request(method, "/tc", headers=headers, content=body)
    assert response.status_code == status and response.json()["code"] == code


def soap_fault(response: httpx.Response) -> str:
    assert response.status_code == 500 and response.headers["content-type"].startswith("text/xml")
    return envelope.fault_in(response.content).code


def test_an_aanleverpunt_operation_sent_to_the_tc_is_refused(world):
    request = t.NotificatieRequest(
        bron_brin="90AA",
        bron_rk="0" * 20,
        doel_brin="90AB",
        doel_rk="0" * 20,
        koppelsleutel="9cebd89c-8953-416b-a2cb-ecee939f1775",
        doel="SWV",
    )
    response = world.admin.post("/tc", content=envelope.message(request), headers={"content-type": "text/xml"})
    assert soap_fault(response) == faults.ONBEKENDE_OPERATIE and "/schools/" in response.text


def test_too_large_and_unknown_endpoint(world):
    big = b"<x>" + b"a" * (world.sim.config.max_request_bytes + 10) + b"</x>"
    assert (
        soap_fault(world.admin.post("/tc", content=big, headers={"content-type": "text/xml"}))
        == faults.BERICHT_TE_GROOT
    )
    request = t.DocumentRequest(
        sessie_id="9cebd89c-8953-416b-a2cb-ecee939f1775",
        bron_brin="90AA",
        bron_rk="0" * 20,
        doel_brin="90AB",
        doel_rk="0" * 20,
        zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(pgnfrag="1234"),
        overdrachtsoort="x",
    )
    with pytest.raises(OsoFault) as info:
        world.oso.call(f"{world.url}/schools/{'9' * 20}", request)
    assert info.value.code == faults.DOEL_ONBEKEND


def test_every_exchange_is_in_the_evidence_log_with_timing(world):
    pupil, doel = world.pupil("povo"), world.school("vo")
    world.overdracht(pupil, doel)
    world.admin.post("/tc", content=b"<broken", headers={"content-type": "text/xml"})
    rows = world.admin.get("/admin/messages").json()["messages"]
    assert [r["direction"] for r in rows] == ["in", "out", "in", "out"]
    bad_in, bad_out = rows[2:]
    assert bad_in["validation"] == faults.XML_NIET_WELGEVORMD and bad_out["fault"] == faults.XML_NIET_WELGEVORMD
    assert bad_out["exchange"] == bad_in["id"] and bad_out["duration_ms"] >= 0
    assert world.admin.get("/admin/messages", params={"fault": faults.XML_NIET_WELGEVORMD}).json()["messages"]
    assert world.admin.get(f"/admin/messages/{bad_in['id']}").json()["body"] == "<broken"
    assert world.admin.get("/admin/messages/999999").status_code == 404


def test_pages_list_sessions_and_show_messages_escaped(world):
    pupil, doel = world.pupil("povo"), world.school("vo")
    granted = world.overdracht(pupil, doel)
    world.admin.post("/tc", content=b"<evil><script>alert(1)</script>", headers={"content-type": "text/xml"})
    home = world.admin.get("/").text
    assert granted.sessie_id in home and "<script>alert" not in home
    assert "overdrachtRequest" in world.admin.get(f"/sessions/{granted.sessie_id}").text
    last = world.admin.get("/admin/messages").json()["messages"][-2]["id"]
    page = world.admin.get(f"/messages/{last}").text
    assert "&lt;script&gt;" in page and "<script>" not in page


def test_admin_errors_are_json(world):
    assert world.admin.post("/admin/clock", content=b"not json").json()["error"].startswith("body is not JSON")
    assert world.admin.post("/admin/zoeksleutel", json={"pgn": "123456789"}).status_code == 400
    assert world.admin.post("/admin/register", json={"kind": "school", "brin": "x"}).status_code == 400
    assert world.admin.get("/admin/pupils/nobody").status_code == 404
    assert world.admin.post("/admin/las/transfers", json={"doel_brin": "99ZZ"}).status_code == 400


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"kind": "vendor", "id": "Vendor A", "number": 7}, "lowercase letters"),
        ({"kind": "vendor", "id": "osokit-admin", "number": 7}, "'osokit-admin' is the admin certificate's name"),
        ({"kind": "vendor", "id": "vendor-a"}, "number: Field required"),
        ({"kind": "vendor", "id": "vendor-a", "number": "7"}, "number: Input should be a valid integer"),
        ({"kind": "school", "brin": "12AB", "sector": "hbo"}, "sector must be one of"),
        ({"kind": "school", "brin": "12AB", "vestiging": "A"}, "vestiging"),
        ({"kind": "school", "brin": "12AB", "endpoints": [{"url": "ftp://x"}]}, "must be http(s)"),
        ({"kind": "school", "brin": "12AB", "endpoints": "http://x"}, "endpoints: Input should be a valid list"),
        ({"kind": "endpoint-add", "brin": "90AA", "url": "file:///etc/passwd"}, "must be http(s)"),
        ({"kind": "nonsense"}, "kind must be"),
    ],
)
def test_register_changes_are_checked_before_they_apply(world, change, says):
    before = world.admin.get("/admin/register").json()
    brin = next(s["brin"] for s in before["schools"])
    change = change | ({"brin": brin} if change.get("brin") == "90AA" else {})
    answer = world.admin.post("/admin/register", json=change)
    assert answer.status_code == 400 and says in answer.json()["error"], answer.text
    assert world.admin.get("/admin/register").json() == before


def test_an_endpoint_change_needs_active(world):
    rk = world.admin.get("/admin/register").json()["schools"][0]["endpoints"][0]["routeringskenmerk"]
    answer = world.admin.post("/admin/register", json={"kind": "endpoint", "routeringskenmerk": rk})
    assert answer.status_code == 400 and "active" in answer.json()["error"]


def test_zoeksleutel_admin_matches_the_pupil_and_the_cli(world, capsys):
    from osokit.cli import main

    pupil = world.pupil("povo")
    assert (
        world.admin.post("/admin/zoeksleutel", json={"pgn": pupil["pgn"]}).json()["zoeksleutel"] == pupil["zoeksleutel"]
    )
    assert main(["zoeksleutel", "--pgn", pupil["pgn"], "--url", world.url]) == 0
    assert capsys.readouterr().out.strip() == pupil["zoeksleutel"]
    keys = world.admin.post("/admin/zoeksleutel", json={"pgns": [pupil["pgn"]] * 3}).json()["keys"]
    assert len(keys) == 3 and keys[0]["pgnfrag"] == pupil["pgn"][-4:]


def test_state_register_clock_and_key_survive_a_restart(tmp_path):
    config = Config(data_dir=tmp_path, cohort=SMALL_COHORT)
    first = World(config)
    pupil, doel = first.pupil("povo"), first.school("vo")
    granted = first.overdracht(pupil, doel)
    first.admin.post("/admin/register", json={"kind": "vendor", "id": "vendor-a", "number": 7})
    first.admin.post(
        "/admin/register",
        json={"kind": "school", "brin": "12AB", "vendor": "vendor-a", "endpoints": [{"url": "http://127.0.0.1:9/oso"}]},
    )
    first.admin.post("/admin/clock", json={"set": "2026-05-01T09:00:00+02:00", "frozen": True})
    first.close()
    second = World(config)
    try:
        assert second.pupil("povo")["zoeksleutel"] == pupil["zoeksleutel"]  # the same instance key
        # the session survived; two months on the simulated clock it has expired, as it should
        assert second.admin.get(f"/admin/sessions/{granted.sessie_id}").json()["state"] == "verlopen"
        assert "12AB" in second.sim.register.schools and second.sim.register.endpoints_of("12AB")[0].url.endswith(
            "/oso"
        )
        assert second.admin.get("/admin/clock").json()["now"] == "2026-05-01T09:00:00+02:00"
    finally:
        second.close()


def test_register_changes_kept_by_an_earlier_version_load(tmp_path):
    """Earlier osokit kept each admin change as the JSON it came as (defaults left out)."""
    store = Store(tmp_path / DB_NAME)
    kept = [
        {"kind": "vendor", "id": "vendor-a", "number": 7},
        {
            "kind": "school",
            "brin": "12AB",
            "vendor": "vendor-a",
            "endpoints": [{"routeringskenmerk": "000000000712AB000001", "url": "http://127.0.0.1:9/oso"}],
        },
        {"kind": "endpoint", "routeringskenmerk": "000000000712AB000001", "active": False},
    ]
    with store.transaction():
        store.set_meta("admin_changes", json.dumps(kept))
    store.close()
    sim = Simulator(Config(data_dir=tmp_path, cohort=SMALL_COHORT))
    try:
        (endpoint,) = sim.register.endpoints_of("12AB", active_only=False)
        assert (endpoint.url, endpoint.active, sim.register.schools["12AB"].vendor) == (
            "http://127.0.0.1:9/oso",
            False,
            "vendor-a",
        )
    finally:
        sim.store.close()


def test_fault_profile_injects_faults_and_http_errors(tmp_path):
    profile = tmp_path / "f.toml"
    profile.write_text(
        'seed = 1\n[[rule]]\noperation = "overdrachtRequest"\nfault = "TijdelijkNietBeschikbaar"\n'
        '[[rule]]\noperation = "afmeldingRequest"\nhttp_status = 503\n'
    )
    w = World(Config(data_dir=tmp_path / "d", faults=profile, cohort=SMALL_COHORT))
    try:
        pupil, doel = w.pupil("povo"), w.school("vo")
        with pytest.raises(OsoFault) as info:
            w.overdracht(pupil, doel)
        assert info.value.code == faults.TIJDELIJK
        response = w.admin.post(
            "/tc",
            headers={"content-type": "text/xml"},
            content=envelope.message(
                t.AfmeldingRequest(
                    sessie_id="9cebd89c-8953-416b-a2cb-ecee939f1775", doel_rk=doel[1], resultaat="OverdrachtGeslaagd"
                )
            ),
        )
        assert response.status_code == 503
        assert w.admin.get("/admin/stats").json()["faults"] == {"TijdelijkNietBeschikbaar": 1, "http-error": 1}
    finally:
        w.close()


def test_dropped_connection_is_dropped_and_recorded(tmp_path):
    profile = tmp_path / "f.toml"
    profile.write_text('[[rule]]\noperation = "overdrachtRequest"\ndrop = true\n')
    w = World(Config(data_dir=tmp_path / "d", faults=profile, cohort=SMALL_COHORT))
    try:
        with pytest.raises(httpx.TransportError):
            httpx.post(
                f"{w.url}/tc",
                headers={"content-type": "text/xml"},
                content=envelope.message(
                    t.OverdrachtRequest(
                        bron_brin="90AA",
                        doel_brin="90AB",
                        doel_rk="0" * 20,
                        zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(pgnfrag="1234"),
                        overdrachtsoort="overstapdossier",
                    )
                ),
            )
        assert w.admin.get("/admin/stats").json()["faults"] == {"dropped": 1}
    finally:
        w.close()


def test_fault_catalogue_is_served(world):
    codes = {f["code"] for f in world.admin.get("/admin/fault-catalogue").json()["faults"]}
    assert codes == set(faults.CATALOGUE)
