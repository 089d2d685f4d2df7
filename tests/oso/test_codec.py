from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from fixtures.cohort import generate
from fixtures.generator import Size
from oso import codec
from oso import dossier as m
from oso import transport as t
from oso.namespaces import SERVICE
from oso.parsing import XmlError
from oso.profiles import Profile
from tests.conftest import fuzz_budgets, fuzz_settings
from tests.oso.strategies import base_dossiers, models, mutate, mutated_dossiers


def canonical(data: bytes) -> bytes:
    root = etree.fromstring(data, etree.XMLParser(remove_blank_text=True))
    return etree.tostring(root, method="c14n2", strip_text=True)


def test_every_official_example_round_trips(official_examples):
    for path in official_examples:
        data = path.read_bytes()
        assert canonical(codec.encode(codec.decode(data))) == canonical(data), path.name


def test_decoded_example_has_typed_values(official_examples):
    povo = next(p for p in official_examples if p.name == "Voorbeelddossier_OV_POVO_full.xml")
    d = codec.decode(povo.read_bytes())
    assert d.metadata.overstap == "POVO"
    assert d.leerling.bsn == "269326728" and d.leerling.pgn == "269326728"
    assert d.leerling.geboortedatum == date(2003, 3, 17)
    assert d.leerling.voornaam[0] == "Björn" and d.leerling.voorletters == "L.J.M.F."
    assert d.leerling.adreslijst[0].land == m.Land(code="6030", omschrijving="Nederland")
    score = d.leerling.eindtoets_basisonderwijs.eindtoetsresultaat.standaardscore
    assert score == 525 and isinstance(score, int)
    cijfers = d.leerling.cijferlijstlijst[0].cijferlijstTypelijst.groepen[0]
    assert cijfers.naam == "Rapport 1" and cijfers.score[0].waarde == "6.3"


@pytest.mark.parametrize("profile", list(Profile))
@pytest.mark.parametrize("size", list(Size))
def test_generated_dossiers_round_trip_to_equal_values(profile, size):
    for item in generate(profile, 5, seed=3, size=size):
        data = codec.encode(item.dossier)
        assert codec.decode(data) == item.dossier
        assert codec.encode(codec.decode(data)) == data


def test_text_is_escaped():
    adres = m.Adres(
        soortadres="bezoek",
        straat='A & B <straat> "x"',
        nummer="1",
        postcode="1234AB",
        plaats="P",
        land=m.Land(code="6030", omschrijving='Neder"land & <co>'),
    )
    root = codec.to_element(adres, "adres")
    assert root.findtext(f"{{{root.nsmap[None]}}}straat") == 'A & B <straat> "x"'
    assert codec.from_element(root, m.Adres) == adres


def test_carriage_returns_and_whitespace_in_attributes_survive():
    """XML parsers turn a literal CR into LF, and tabs and newlines in attributes into spaces."""
    land = m.Land(code="6030\r\n", omschrijving="Neder\tland\nwest\r")
    text = codec.to_text(land, "land")
    assert "\r" not in text and "\t" not in text.split(">")[0]
    assert codec.from_element(etree.fromstring(text), m.Land) == land


def test_decimals_never_use_exponent_notation():
    score = m.Toetsscore(vaardigheidsscore=Decimal("1E+2"))
    assert "<vaardigheidsscore>100</vaardigheidsscore>" in codec.to_text(score, "toetsscore")


def test_unknown_element_is_reported_with_its_line():
    doc = b'<dossier xmlns="http://www.edustandaard.nl/oso_gegevensset/2019/dossier">\n<onbekend/>\n</dossier>'
    with pytest.raises(codec.CodecError) as info:
        codec.decode(doc)
    assert info.value.line == 2 and "onbekend" in str(info.value)


def test_missing_required_element_is_reported():
    doc = b'<dossier xmlns="http://www.edustandaard.nl/oso_gegevensset/2019/dossier"><overdrachtsoort>x</overdrachtsoort></dossier>'
    with pytest.raises(codec.CodecError, match="lacks required"):
        codec.decode(doc)


def test_bad_scalar_is_reported():
    doc = (
        b'<inzage xmlns="http://www.edustandaard.nl/oso_gegevensset/2019/dossier">'
        b"<voorlopigdossier>misschien</voorlopigdossier></inzage>"
    )
    with pytest.raises(codec.CodecError, match="voorlopigdossier"):
        codec.from_element(etree.fromstring(doc), m.Inzage)


def test_wrong_root_is_refused():
    with pytest.raises(codec.CodecError, match="expected"):
        codec.decode(b"<dossier/>")


def test_edit_replaces_nested_values_without_touching_the_original():
    d = next(generate(Profile.POVO, 1)).dossier
    changed = m.edit(d, "huidigeschool.leerling", bsn=None)
    assert changed.leerling.bsn is None and d.leerling.bsn is not None
    assert changed.metadata is d.metadata


# --- property tests ------------------------------------------------------------------------------

MESSAGES = sorted({cls for request, response, _ in t.OPERATIONS.values() for cls in (request, response)}, key=str)


@pytest.mark.parametrize("budget", fuzz_budgets(40, 500))
def test_any_dossier_value_round_trips(budget):
    @fuzz_settings(budget)
    @given(models(m.Dossier))
    def check(dossier):
        data = codec.encode(dossier)
        assert codec.decode(data) == dossier
        assert codec.encode(codec.decode(data)) == data

    check()


@pytest.mark.parametrize("budget", fuzz_budgets(60, 1500))
def test_any_transport_message_round_trips(budget):
    @fuzz_settings(budget)
    @given(st.sampled_from(MESSAGES).flatmap(models))
    def check(message):
        element = codec.to_element(message, t.element_name(message))
        assert codec.from_element(element, type(message)) == message

    check()


@pytest.mark.parametrize("budget", fuzz_budgets(100, 3000))
def test_decoding_arbitrary_bytes_fails_only_with_the_codec_errors(budget):
    @fuzz_settings(budget)
    @given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
    def check(data):
        try:
            codec.decode(data)
        except (codec.CodecError, XmlError):
            pass

    check()


@pytest.mark.parametrize("budget", fuzz_budgets(60, 3000))
def test_a_mutated_dossier_decodes_to_a_value_that_round_trips_or_fails_clearly(budget):
    @fuzz_settings(budget)
    @given(mutated_dossiers)
    def check(case):
        base, mutations = case
        data = etree.tostring(mutate(base_dossiers()[base], mutations))
        try:
            dossier = codec.decode(data)
        except (codec.CodecError, XmlError) as error:
            assert str(error)  # says what is wrong
            return
        assert codec.decode(codec.encode(dossier)) == dossier

    check()


@pytest.mark.parametrize(
    ("sent", "offset"), [("2026-01-15T10:00:00", "+01:00"), ("2026-06-15T10:00:00", "+02:00")], ids=["winter", "summer"]
)
def test_a_date_time_without_a_timezone_is_read_as_dutch_time(sent, offset):
    body = (
        f'<documentRequest xmlns="{SERVICE}"><sessieId>s</sessieId><bronBrin>b</bronBrin>'
        "<bronRouteringsKenmerk>r</bronRouteringsKenmerk><doelBrin>d</doelBrin>"
        "<doelRouteringsKenmerk>r</doelRouteringsKenmerk><overdrachtsoort>o</overdrachtsoort>"
        f"<dossierVerzameldatum>{sent}</dossierVerzameldatum></documentRequest>"
    )
    read = codec.from_element(etree.fromstring(body), t.DocumentRequest)
    assert read.dossier_verzameldatum.isoformat() == sent + offset
