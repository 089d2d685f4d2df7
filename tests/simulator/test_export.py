"""simulator/export.py: the reference LAS's own export of pupil data is a valid dossier that keeps every
rule of the contract, and the suite's separately written comparison finds nothing to fault in it."""

from __future__ import annotations

import copy
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from conformance import compare, pupildata
from fixtures.generator import Size, Traits
from oso import rules
from oso.namespaces import DOSSIER
from oso.profiles import Profile
from oso.schema import dossier_schema
from simulator import export

AT = datetime(2026, 2, 2, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
SCHOOL = export.own_school("80AB", "00", "School under test (vo)")
NS = {"od": DOSSIER}


def version(profile: Profile, size: Size, **kw) -> pupildata.Version:
    return pupildata.version(profile, 1000, seed=3, school_year=2025, bron_brin="80AB", prepared=AT, size=size, **kw)


@pytest.mark.parametrize("profile", [Profile.POPO, Profile.POVO, Profile.VOVO])
@pytest.mark.parametrize("size", list(Size))
@pytest.mark.parametrize(
    "traits",
    [Traits(), Traits(carers_not_liable=True), Traits(deceased_carer=True), Traits(onderwijsnummer=True)],
    ids=["plain", "carers-not-liable", "deceased-carer", "onderwijsnummer"],
)
def test_the_export_is_valid_and_carries_the_data(profile, size, traits):
    for secret in (False, True):
        v = version(profile, size, traits=traits, after_eindtoets=True, secret=secret)
        xml = export.dossier_xml(v.data, AT, SCHOOL)
        root = etree.fromstring(xml.encode())
        xsd = dossier_schema()
        assert xsd.validate(root), xsd.error_log[0].message
        assert [v.rule.id for v in rules.check(root)] == []
        assert compare.compare(v.data, xml, bron_brin="80AB", prepared=AT.date()) == []


def test_what_may_not_go_out_stays_out():
    v = version(Profile.POVO, Size.OPT_OUT, secret=True)
    root = etree.fromstring(export.dossier_xml(v.data, AT, SCHOOL).encode())
    leerling = root.find("od:huidigeschool/od:leerling", NS)
    for name in ("geboorteplaats", "nationaliteit", "vanpeuterspeelzaal", "verzuim", "toetslijst", "adreslijst"):
        assert leerling.find(f"od:{name}", NS) is None, name
    assert leerling.findtext("od:adresgeheim", namespaces=NS) == "true"
    assert leerling.findtext("od:communicatielijst/od:communicatie/od:nummer", namespaces=NS) == "9999999999"
    assert root.findtext("od:metadata/od:categorie_uitlevering/od:cat_vve", namespaces=NS) == "VERBODEN"
    assert root.findtext("od:metadata/od:categorie_uitlevering/od:cat_verzuim", namespaces=NS) == "OPT-UIT"
    assert root.findtext("od:metadata/od:datum", namespaces=NS) == "2026-02-02"


def test_a_delivered_category_goes_out_a_left_out_one_does_not():
    data = copy.deepcopy(version(Profile.POPO, Size.OPT_OUT).data)
    data["deliver"] = ["verzuim", "handelingsplannen"]
    root = etree.fromstring(export.dossier_xml(data, AT, SCHOOL).encode())
    leerling = root.find("od:huidigeschool/od:leerling", NS)
    assert leerling.find("od:verzuim", NS) is not None
    assert leerling.find("od:onderwijsondersteuning/od:handelingsplan", NS) is not None
    assert leerling.find("od:onderwijsondersteuning/od:diagnose", NS) is None, "onderwijsondersteuning is left out"
    assert root.findtext("od:metadata/od:categorie_uitlevering/od:cat_verzuim", namespaces=NS) == "OPTIONEEL"
