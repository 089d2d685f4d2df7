"""conformance/control-api.yaml is the contract; the simulator's hosted LAS implements exactly it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012

import conformance
from fixtures.generator import Request, Size, Traits, build
from oso import codec
from oso.profiles import Profile
from reports.results import errors_against
from simulator import control

HERE = Path(conformance.__file__).parent
SPEC = yaml.safe_load((HERE / "control-api.yaml").read_text(encoding="utf-8"))
PUPIL_SCHEMA = json.loads((HERE / "pupil.schema.json").read_text(encoding="utf-8"))
# The contract as JSON Schema resources: the OpenAPI document refers to the pupil schema by its file name.
REGISTRY = Registry().with_resources(
    (name, DRAFT202012.create_resource(doc))
    for name, doc in (("control-api.yaml", SPEC), ("pupil.schema.json", PUPIL_SCHEMA))
)


def resolve(node: Any) -> Any:
    """The schema with every $ref replaced by what it points at (the spec has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = SPEC
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target)
        return {k: resolve(v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v) for v in node]
    return node


def answer_schema(path: str, method: str, status: int) -> dict[str, Any] | None:
    responses = SPEC["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} answered {status}, which the contract does not list"
    content = resolve(responses[str(status)]).get("content")
    return content["application/json"]["schema"] if content else None


def call(http: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    response = http.request(method.upper(), path, json=body)
    schema = answer_schema(path, method, response.status_code)
    if schema is not None:
        assert errors_against(response.json(), schema) == [], response.text
    else:
        assert response.content == b""
    return response


def request_errors(path: str, method: str, body: dict[str, Any]) -> list[str]:
    """The body against the request schema of the contract, its pupil schema included (full JSON Schema)."""
    pointer = f"/paths/{path.replace('/', '~1')}/{method}/requestBody/content/application~1json/schema"
    validator = jsonschema.Draft202012Validator({"$ref": f"control-api.yaml#{pointer}"}, registry=REGISTRY)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(body)]


@pytest.fixture
def http(vendor_environment):
    with httpx.Client(base_url=f"{vendor_environment.url}/control", timeout=60) as client:
        yield client


def test_the_contract_and_the_implementation_have_the_same_operations(vendor_environment):
    documented = {(path, method.upper()) for path, ops in SPEC["paths"].items() for method in ops}
    implemented = {
        (route.path.removeprefix("/control"), method)
        for route in control.routes(vendor_environment.simulator)
        for method in route.methods - {"HEAD"}
    }
    assert documented == implemented


def test_the_examples_in_the_contract_are_valid_requests():
    for path, ops in SPEC["paths"].items():
        for method, op in ops.items():
            example = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example")
            if example is not None:
                assert request_errors(path, method, example) == [], (method, path)


def test_a_whole_exchange_follows_the_contract(http, vendor_environment):
    info = call(http, "get", "/info").json()
    sim = vendor_environment.simulator
    setup = {
        "tc_url": f"{vendor_environment.url}/tc",
        "zoeksleutel_scheme": "hmac-sha256",
        "zoeksleutel_key": "00" * 32,
    }
    assert request_errors("/setup", "put", setup) == []
    call(http, "put", "/setup", setup)
    call(http, "post", "/reset")

    pupil = sim.catalogue.get("povo")
    transfer = {"doel_brin": info["doel"]["vo"]["brin"], "bron_brin": pupil.school, "pgns": [pupil.pgn]}
    done = call(http, "post", "/transfers", transfer).json()
    assert done["transfers"][0]["resultaat"] == "OverdrachtGeslaagd"
    imported = call(http, "post", "/imports", {"doel_brin": transfer["doel_brin"], "pgn": pupil.pgn}).json()
    assert imported["records"] == 1 and set(imported["steps"]) == set(imported["all_steps"])
    assert call(http, "post", "/imports", {"doel_brin": transfer["doel_brin"], "pgn": "111222333"}).status_code == 404

    d, made = build(Request(profile=Profile.POVO, seed=1, size=Size.OPT_OUT, traits=Traits()), 5)
    prepare = {
        "bron_brin": info["bron"]["po"]["brin"],
        "pgn": made.pgn,
        "state": "ready",
        "versions": [{"prepared": "2026-02-01T10:00:00+01:00", "dossier": codec.to_text(d, "dossier")}],
    }
    assert request_errors("/dossiers", "post", prepare) == []
    assert call(http, "post", "/dossiers", prepare).status_code == 204
    example = SPEC["paths"]["/pupils"]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert call(http, "post", "/pupils", example).status_code == 204
    assert datetime.fromisoformat(info["now"]) - sim.clock.now() < timedelta(minutes=1)
    assert call(http, "put", "/clock", {"now": "2026-06-20T09:00:00+02:00"}).status_code == 204
    assert abs(sim.clock.now() - datetime.fromisoformat("2026-06-20T09:00:00+02:00")) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("method", "path", "body", "says"),
    [
        ("post", "/transfers", {"doel_brin": "80AB", "bron_brin": "90AA", "pgns": ["123"]}, "valid BSN"),
        ("post", "/transfers", {"doel_brin": "99XX", "bron_brin": "90AA", "pgns": ["111222333"]}, "this vendor's"),
        (
            "post",
            "/dossiers",
            {"bron_brin": "80AA", "pgn": "111222333", "state": "ready", "versions": []},
            "versions: List should have at least 1 item",
        ),
        (
            "post",
            "/dossiers",
            {
                "bron_brin": "80AA",
                "pgn": "111222333",
                "state": "ready",
                "versions": [{"prepared": "yesterday", "dossier": "<x/>"}],
            },
            "versions[0].prepared",
        ),
        ("post", "/dossiers", {"bron_brin": "80AA", "pgn": "111222333", "state": "maybe", "versions": []}, "state"),
        ("put", "/clock", {"now": "2026-06-20T09:00:00"}, "timezone"),
        (
            "post",
            "/pupils",
            {"bron_brin": "80AA", "pgn": "111222333", "state": "ready", "versions": []},
            "versions: List should have at least 1 item",
        ),
        (
            "post",
            "/pupils",
            {"bron_brin": "80AA", "pgn": "111222333", "state": "ready", "versions": [{"prepared": "2026-02-02"}]},
            "versions[0].prepared: Input should have timezone info",
        ),
        (
            "post",
            "/pupils",
            {
                "bron_brin": "80AA",
                "pgn": "111222333",
                "state": "ready",
                "versions": [{"prepared": "2026-02-02T10:00:00+01:00", "pupil": {"overstap": "POVO"}}],
            },
            "versions[0].pupil: 'deliver' is a required property",
        ),
        ("put", "/setup", {"tc_url": "http://127.0.0.1:9/tc", "zoeksleutel_scheme": "rot13"}, "zoeksleutel"),
        ("post", "/dossiers", {"bron_brin": "80AA", "pgn": "111222333", "versions": 5}, "versions: Input should be"),
        ("put", "/setup", {"tc_url": "file:///etc/passwd", "zoeksleutel_scheme": "hmac-sha256"}, "tc_url: URL scheme"),
        ("put", "/setup", {"tc_url": "not a url", "zoeksleutel_scheme": "hmac-sha256"}, "tc_url: Input should be"),
        ("put", "/setup", {"tc_url": 5, "zoeksleutel_scheme": "hmac-sha256"}, "tc_url"),
        (
            "post",
            "/transfers",
            {"doel_brin": "80AB", "bron_brin": "90AA", "pgns": ["111222333"], "update": "yes"},
            "update",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_requests_get_a_400_that_says_what(http, method, path, body, says):
    response = call(http, method, path, body)
    assert response.status_code == 400 and says in response.json()["error"]
