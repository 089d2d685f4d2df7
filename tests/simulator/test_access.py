"""Who may use the admin API, the pages and the hosted LAS's control API: the access matrix under --tls
(vendor A's certificate, vendor B's, the admin certificate, the admin token, nothing) x (admin write,
admin read, pages, control) x (the client's own data, the other vendor's), against the real server;
and when access is open at all."""

from __future__ import annotations

import io
from collections import Counter

import httpx
import pytest

from oso import transport as t
from simulator.access import Access, AccessError
from simulator.client import tls_context
from simulator.mutants import vendor_under_test
from simulator.pki import init_pki
from simulator.register import parse_scenario
from simulator.server import banner, prepare
from simulator.service import VUT, Config
from simulator.testing import World
from tests.simulator.conftest import SMALL_COHORT
from tests.simulator.test_authorisation import SCENARIO

OWNER = {"vendor-a": "12AA", "vendor-b": "13AA"}  # each vendor's school in the scenario
CLIENTS = ("vendor-a", "vendor-b", "admin-cert", "admin-token", "none")


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    base = tmp_path_factory.mktemp("access")
    pki = init_pki(base / "pki", ["reference", "vendor-a", "vendor-b", VUT])
    (base / "scenario.toml").write_text(SCENARIO)
    config = Config(
        data_dir=base / "data",
        scenario=base / "scenario.toml",
        tls=True,
        pki_dir=pki.directory,
        cohort=SMALL_COHORT,
        vut=vendor_under_test("reference"),
    )
    with World(config, pki=pki) as world:
        ca = pki.ca_cert
        contexts = {
            "vendor-a": tls_context(ca, pki.vendor_cert("vendor-a"), pki.vendor_key("vendor-a")),
            "vendor-b": tls_context(ca, pki.vendor_cert("vendor-b"), pki.vendor_key("vendor-b")),
            "admin-cert": tls_context(ca, pki.admin_cert, pki.admin_key),
            "admin-token": tls_context(ca),
            "none": tls_context(ca),
        }
        clients = {
            name: httpx.Client(
                base_url=world.url,
                verify=ctx,
                timeout=30,
                headers=world.admin_headers if name == "admin-token" else {},
            )
            for name, ctx in contexts.items()
        }
        sessions = {vendor: open_session(world, vendor, brin) for vendor, brin in OWNER.items()}
        yield world, clients, sessions
        for c in clients.values():
            c.close()


def open_session(world: World, vendor: str, brin: str) -> str:
    """A session of doel school ``brin``, asked for over SOAP with ``vendor``'s certificate."""
    pupil = world.pupil("povo")
    client = world.client_as(vendor)
    try:
        granted = client.overdracht(
            bron_brin=pupil["bron_brin"],
            doel_brin=brin,
            doel_rk=world.sim.register.endpoints_of(brin)[0].routeringskenmerk,
            zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(zoeksleutel=pupil["zoeksleutel"]),
            overdrachtsoort="overstapdossier",
        )
    finally:
        client.close()
    return granted.sessie_id


def message_of(world: World, sessie_id: str) -> int:
    return int(world.admin.get("/admin/messages", params={"session": sessie_id}).json()["messages"][0]["id"])


def probes(world: World, sessions: dict[str, str], n: int):
    """(endpoint, whose data, method, path, body): every kind the matrix covers."""
    for owner, sessie_id in sessions.items():
        message = message_of(world, sessie_id)
        yield "admin read", owner, "GET", f"/admin/sessions/{sessie_id}", None
        yield "admin read", owner, "GET", f"/admin/messages/{message}", None
        yield "pages", owner, "GET", f"/sessions/{sessie_id}", None
        yield "pages", owner, "GET", f"/messages/{message}", None
    yield "admin read", "all", "GET", "/admin/pupils", None
    yield "admin read", "all", "GET", "/admin/zoeksleutel/scheme", None
    yield "admin write", "all", "POST", "/admin/register", {"kind": "vendor", "id": f"probe-{n}", "number": 700 + n}
    yield "control", "all", "GET", "/control/info", None


def expected(client: str, kind: str, owner: str) -> int:
    if client == "none":
        return 401
    if client.startswith("admin"):
        return 200
    if kind == "admin read" and owner == "all" or kind in ("admin write", "control"):
        return 403
    return 200 if owner == client else 404


def test_the_access_matrix_under_tls(guarded):
    world, clients, sessions = guarded
    table: dict[tuple[str, str, str], Counter[int]] = {}
    for n, client in enumerate(CLIENTS):
        for kind, owner, method, path, body in probes(world, sessions, n):
            got = clients[client].request(method, path, json=body).status_code
            assert got == expected(client, kind, owner), (client, method, path, got)
            table.setdefault((client, kind, "own" if owner == client else owner), Counter())[got] += 1
    print("\naccess matrix under --tls (client, endpoint, whose data: answers)")
    for (client, kind, whose), answers in sorted(table.items()):
        print(f"  {client:12s} {kind:12s} {whose:9s} {dict(answers)}")


@pytest.mark.parametrize("vendor", list(OWNER))
def test_a_vendor_lists_only_its_own_sessions_and_messages(guarded, vendor):
    world, clients, sessions = guarded
    other = next(s for v, s in sessions.items() if v != vendor)
    for path in ("/admin/sessions", "/admin/messages"):
        listed = clients[vendor].get(path).json()
        ids = {row["sessie_id"] for row in next(iter(listed.values()))}
        assert sessions[vendor] in ids and other not in ids, (path, ids)
    for page in ("/", "/messages"):
        html = clients[vendor].get(page).text
        assert sessions[vendor][:8] in html and other[:8] not in html, page
    everything = clients["admin-token"].get("/admin/sessions").json()["sessions"]
    assert set(sessions.values()) <= {s["sessie_id"] for s in everything}


def test_a_wrong_token_is_refused_and_soap_stays_unguarded(guarded):
    world, clients, _ = guarded
    wrong = clients["none"].get("/admin/info", headers={"authorization": "Bearer " + "x" * 43})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert "admin token" in wrong.json()["error"]
    assert clients["none"].get("/healthz").status_code == 200
    assert clients["none"].get("/tc", params={"wsdl": ""}).status_code == 200


def register(vendors: int):
    blocks = "".join(
        f'[[vendor]]\nid = "v{i}"\nnumber = {20 + i}\n[[school]]\nbrin = "{12 + i}AA"\nvendor = "v{i}"\n'
        f'[[school.endpoint]]\nurl = "http://127.0.0.1:9/{i}"\n'
        for i in range(vendors)
    )
    return parse_scenario(blocks).register


@pytest.mark.parametrize(
    ("loopback", "tls", "vendors", "guarded_because"),
    [
        (True, False, 0, None),
        (True, False, 1, None),
        (True, True, 0, "--tls"),
        (False, False, 0, "not loopback"),
        (True, False, 2, "2 vendors"),
    ],
)
def test_access_is_open_only_for_one_developer(loopback, tls, vendors, guarded_because):
    access = Access.decide(loopback=loopback, tls=tls, register=register(vendors))
    assert access.open == (guarded_because is None)
    if guarded_because:
        assert guarded_because in access.why and access.token and len(access.token) >= 32


def test_the_token_file(tmp_path):
    good, short = tmp_path / "token", tmp_path / "short"
    good.write_text("s3cr3t-token-for-the-admin\n")
    short.write_text("abc")
    access = Access.decide(loopback=True, tls=False, register=register(0), token_file=good)
    assert access.token == "s3cr3t-token-for-the-admin" and not access.generated
    assert "Bearer from --admin-token-file" in access.banner()
    for bad, says in ((short, "at least 16"), (tmp_path / "missing", "No such file")):
        with pytest.raises(AccessError, match=says):
            Access.decide(loopback=True, tls=False, register=register(0), token_file=bad)


def test_serve_says_in_one_line_whether_the_admin_api_is_open(tmp_path):
    prepared = prepare(Config(data_dir=tmp_path / "data", cohort=SMALL_COHORT))
    try:
        out = io.StringIO()
        banner(prepared, out)
    finally:
        prepared.sock.close()
        prepared.simulator.store.close()
    [line] = [line for line in out.getvalue().splitlines() if "admin access" in line]
    assert "open to anyone who can reach this port (loopback, plain HTTP, one vendor)" in line
