"""conformance/compare.py: the pupil data read from a dossier, what a dossier made of it must carry, and
every difference named by its XPath; conformance/pupildata.py: the data the suite hands a LAS."""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from lxml import etree

import conformance
from conformance import compare, pupildata
from fixtures.generator import Request, Size, Traits, build
from oso import codec
from oso.namespaces import DOSSIER
from oso.profiles import Profile
from oso.rules import readable_path
from simulator import export

AT = datetime(2025, 11, 3, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
SCHOOL = export.own_school("80AA", "00", "School under test")
PROFILES = (Profile.POPO, Profile.POVO, Profile.VOVO)
TRAITS = (
    Traits(),
    Traits(carers_not_liable=True),
    Traits(deceased_carer=True),
    Traits(onderwijsnummer=True),
    Traits(contact_needed=True, parents_disagree=True, revised_advice=True),
)
OD = f"{{{DOSSIER}}}"


def version(profile=Profile.POVO, size=Size.FULL, **kw) -> pupildata.Version:
    return pupildata.version(
        profile, kw.pop("index", 1000), seed=0, school_year=2025, bron_brin="80AA", prepared=AT, size=size, **kw
    )


def exported(v: pupildata.Version, edit=None) -> str:
    """The reference export of the data, optionally edited as XML (to make one defect)."""
    xml = export.dossier_xml(v.data, v.prepared, SCHOOL)
    if edit is None:
        return xml
    root = etree.fromstring(xml.encode())
    edit(root)
    return etree.tostring(root, encoding="unicode")


def differences(v: pupildata.Version, xml: str) -> list[compare.Difference]:
    return compare.compare(v.data, xml, bron_brin="80AA", prepared=AT.date())


def _q(path: str) -> str:
    return "/".join(f"{OD}{step}" for step in path.split("/"))


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("traits", TRAITS, ids=lambda t: ",".join(k for k, v in vars(t).items() if v) or "plain")
def test_every_element_of_a_generated_pupil_is_in_the_mapping(profile, traits):
    """read() misses nothing the generator puts in a dossier: each leaf has a row in the docs' table."""
    d, _ = build(Request(profile, 0, Size.FULL, after_eindtoets=True, traits=traits), 1000)
    root = etree.fromstring(codec.to_text(d, "dossier").encode())
    mapped = {path for _, path, _ in compare.mapping()}
    leaves = set()
    for start in (*root.iterfind(f"{OD}huidigeschool/{OD}leerling"), *root.iterfind(f"{OD}inzage")):
        for node in start.iter():
            if len(node) == 0 and node is not start:
                leaves.add(re.sub(r"\[\d+\]", "", readable_path(node)))
            leaves.update(re.sub(r"\[\d+\]", "", readable_path(node)) + f"/@{a}" for a in node.attrib)
    assert sorted(leaves - mapped) == []


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("size", list(Size))
@pytest.mark.parametrize("traits", TRAITS, ids=lambda t: ",".join(k for k, v in vars(t).items() if v) or "plain")
def test_the_data_the_suite_hands_out_meets_the_schema(profile, size, traits):
    schema = json.loads((Path(conformance.__file__).parent / "pupil.schema.json").read_text(encoding="utf-8"))
    for secret in (False, True):
        v = version(profile, size, traits=traits, after_eindtoets=True, secret=secret)
        errors = [f"{e.json_path}: {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(v.data)]
        assert errors == []


def test_the_data_holds_what_no_dossier_may_carry():
    v = version(Profile.POVO, Size.OPT_OUT, secret=True)
    personalia = v.data["personalia"]
    assert personalia["geboorteplaats"] and personalia["nationaliteiten"] and v.data["vve"]
    assert personalia["adres_geheim"] and personalia["adressen"], "a secret address is still held"
    assert personalia["communicatie"][0]["geheim"] and personalia["communicatie"][0]["nummer"] != "9999999999"
    assert v.data["deliver"] == [] and v.data["verzuim"] and v.data["toetsen"], "left-out categories hold data"
    assert {y["brin"] for y in v.data["schoolloopbaan"]} == {"80AA"}, "the career is at the LAS's own school"


def test_read_gives_back_what_the_reference_export_made_of_the_data():
    v = version(Profile.VOVO, traits=Traits(deceased_carer=True))
    found = compare.read(exported(v))
    assert found["verzorgers"] == v.data["verzorgers"] and found["toetsen"] == v.data["toetsen"]
    assert "geboorteplaats" not in found["personalia"], "the export leaves out what it may not send"


def _set(path, value):
    def edit(root):
        root.find(_q(path)).text = value

    return edit


def _drop(path):
    def edit(root):
        node = root.find(_q(path))
        node.getparent().remove(node)

    return edit


@pytest.mark.parametrize(
    ("edit", "where", "expected", "found"),
    [
        (
            _set("huidigeschool/leerling/achternaam", "Anders"),
            "/dossier/huidigeschool/leerling/achternaam",
            None,
            "'Anders'",
        ),
        (
            _set("huidigeschool/leerling/geboortedatum", "2014-01-01"),
            "/dossier/huidigeschool/leerling/geboortedatum",
            None,
            "'2014-01-01'",
        ),
        (_set("metadata/datum", "2026-01-01"), "/dossier/metadata/datum", "'2025-11-03'", "'2026-01-01'"),
        (
            _set("metadata/categorie_uitlevering/cat_verzuim", "OPT-UIT"),
            "/dossier/metadata/categorie_uitlevering/cat_verzuim",
            "'OPTIONEEL'",
            "'OPT-UIT'",
        ),
        (_drop("huidigeschool/leerling/verzuim"), "/dossier/huidigeschool/leerling/verzuim", None, "nothing"),
        (_set("huidigeschool/brincode", "99ZZ"), "/dossier/huidigeschool/brincode", "'80AA'", "'99ZZ'"),
        (
            _set("inzage/akkoord", "Onbekend"),
            "/dossier/inzage/akkoord",
            None,
            "'Onbekend'",
        ),
    ],
    ids=["surname", "birth date", "dossier date", "category", "dropped block", "school", "akkoord"],
)
def test_each_difference_names_its_element_expected_and_found(edit, where, expected, found):
    v = version()
    found_differences = differences(v, exported(v, edit))
    assert [d.xpath for d in found_differences] == [where]
    d = found_differences[0]
    assert d.found == found and (expected is None or d.expected == expected)
    assert str(d).startswith(f"{where}: expected ") and f", found {found}" in str(d)


def test_data_that_may_not_go_out_is_named_with_the_reason():
    v = version(Profile.POVO, Size.OPT_OUT, secret=True)
    data = copy.deepcopy(v.data)
    data["deliver"] = ["verzuim"]
    data["personalia"]["adres_geheim"] = False
    for c in data["personalia"]["communicatie"]:
        c["geheim"] = False
    sent = export.dossier_xml(data, AT, SCHOOL)  # a LAS that ignores the secret flags and the school's choice
    found = {d.field: d for d in differences(v, sent)}
    assert "left out" in found["verzuim"].expected and found["verzuim"].xpath.endswith("/leerling/verzuim")
    assert "secret" in found["personalia.adressen"].expected
    assert found["personalia.communicatie[1].nummer"].expected == "'9999999999'"
    vve = export.dossier_xml({**v.data, "overstap": "POPO", "deliver": ["vve"]}, AT, SCHOOL)
    vve = vve.replace("<overstap>POPO</overstap>", "<overstap>POVO</overstap>")
    assert "VERBODEN in a POVO dossier" in {d.field: d for d in differences(v, vve)}["vve"].expected


def test_lists_compare_in_any_order_and_a_missing_item_is_named():
    v = next(v for i in range(1000, 1100) if len((v := version(Profile.POPO, index=i)).data.get("toetsen", ())) > 1)

    def reverse(root):
        lijst = root.find(_q("huidigeschool/leerling/toetslijst"))
        lijst[:] = list(reversed(lijst))

    assert differences(v, exported(v, reverse)) == []
    missing = differences(v, exported(v, _drop("huidigeschool/leerling/toetslijst/toets")))
    assert [(d.field, d.found) for d in missing] == [(missing[0].field, "nothing")]
    assert missing[0].field.startswith("toetsen[") and missing[0].xpath.endswith("/leerling/toetslijst/toets")


def test_identity_tells_a_twin_from_the_pupil():
    one, twin = (version(Profile.POPO, traits=Traits(twins=True), index=i) for i in (1000, 1001))
    assert one.data["personalia"]["achternaam"] == twin.data["personalia"]["achternaam"]
    assert compare.identity(one.data["personalia"], exported(one)) == []
    wrong = {d.field for d in compare.identity(one.data["personalia"], exported(twin))}
    assert "personalia.bsn" in wrong and "personalia.achternaam" not in wrong


def test_passthrough_compares_canonical_xml():
    """The same dossier with a namespace prefix and indented is unchanged; another surname is not."""

    def prefixed(node: etree._Element) -> etree._Element:
        copy = etree.Element(node.tag, node.attrib, nsmap={"od": DOSSIER})
        copy.text = node.text
        copy.extend(prefixed(child) for child in node)
        return copy

    v = version()
    same = etree.tostring(prefixed(etree.fromstring(v.xml.encode())), pretty_print=True).decode()
    assert "<od:achternaam>" in same and compare.unchanged(v.xml, same) == []
    changed = v.xml.replace(v.data["personalia"]["achternaam"], "Anders", 1)
    assert [d.field for d in compare.unchanged(v.xml, changed)] == ["personalia.achternaam"]


def test_a_document_that_is_no_dossier_is_one_difference():
    v = version()
    wrong_namespace = exported(v).replace("oso_gegevensset/2019/dossier", "oso_gegevensset/2018/dossier")
    (only,) = differences(v, wrong_namespace)
    assert only.xpath == "/dossier" and "no /dossier/huidigeschool/leerling" in only.found


def test_the_docs_table_is_the_mapping():
    page = (Path(conformance.__file__).parents[1] / "docs" / "conformance.md").read_text(encoding="utf-8")
    table = page.split("| pupil data (JSON) | dossier element | compared |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \| [^|]+ \|$", table, re.MULTILINE)
    expected = [(name, path.replace("/dossier/huidigeschool/", "")) for name, path, _ in compare.mapping()]
    assert rows == expected


def test_the_worked_example_is_what_the_docs_say():
    """The contract's example pupil: the docs' excerpt of its dossier is in the reference export, nothing differs."""
    import yaml

    here = Path(conformance.__file__).parent
    spec = yaml.safe_load((here / "control-api.yaml").read_text(encoding="utf-8"))
    version = spec["paths"]["/pupils"]["post"]["requestBody"]["content"]["application/json"]["example"]["versions"][0]
    prepared = datetime.fromisoformat(version["prepared"])
    xml = export.dossier_xml(version["pupil"], prepared, SCHOOL)
    assert compare.compare(version["pupil"], xml, bron_brin="80AA", prepared=prepared.date()) == []
    page = (here.parent / "docs" / "conformance.md").read_text(encoding="utf-8")
    excerpt = page.split("**Worked example.**", 1)[1].split("```xml", 1)[1].split("```", 1)[0]
    lines = {
        line.strip() for line in etree.tostring(etree.fromstring(xml.encode()), pretty_print=True).decode().split("\n")
    }
    assert [line.strip() for line in excerpt.split("\n") if line.strip() not in lines] == []
    for absent in ("geboorteplaats", "nationaliteit", "vanpeuterspeelzaal", "toetslijst"):
        assert f"<{absent}" not in xml
