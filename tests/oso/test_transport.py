from datetime import UTC, datetime

import pytest

from oso import envelope
from oso import transport as t
from oso.xmlmodel import XmlFragment

RK_A, RK_Z = "000000000190AA000001", "000000000190AZ000001"
SID = "9cebd89c-8953-416b-a2cb-ecee939f1775"
ROUTE = {"bron_brin": "90AA", "bron_rk": RK_A, "doel_brin": "90AZ", "doel_rk": RK_Z}
ZS = t.ZoeksleutelPgnfrag(zoeksleutel="abc=")
DOSSIER = XmlFragment('<dossier xmlns="http://www.edustandaard.nl/oso_gegevensset/2019/dossier"><x/></dossier>')
AP = t.Aanleverpunt(brin="90AA", routeringskenmerk=RK_A, url="http://127.0.0.1/schools/" + RK_A, doel="LAS")

EXAMPLES = [
    t.OverdrachtRequest(
        bron_brin="90AA", doel_brin="90AZ", doel_rk=RK_Z, zoeksleutel_pgnfrag=ZS, overdrachtsoort="overstapdossier"
    ),
    t.OverdrachtRequest(
        bron_brin="90AA",
        bron_rk=RK_A,
        doel_brin="90AZ",
        doel_rk=RK_Z,
        koppelsleutel=SID.upper(),
        overdrachtsoort="swv-dossier",
    ),
    t.OverdrachtResponse(sessie_id=SID, aanleverpunt=(AP, AP)),
    t.SessiecontroleRequest(
        **ROUTE,
        zoeksleutel_pgnfrag=t.ZoeksleutelPgnfrag(pgnfrag="9468"),
        overdrachtsoort="overstapdossier",
        sessie_id=SID,
    ),
    t.SessiecontroleResponse(resultaat="SessieValide", sector="VO"),
    t.AfmeldingRequest(sessie_id=SID, bron_rk=RK_A, doel_rk=RK_Z, resultaat="OverdrachtGeslaagd"),
    t.AfmeldingResponse(resultaat="AfmeldingOntvangen"),
    t.MeldenNotificatieRequest(**ROUTE),
    t.MeldenNotificatieResponse(koppelsleutel=SID, url=AP.url),
    t.MeldenTerugkoppelingRequest(**ROUTE, koppelsleutel=SID),
    t.MeldenTerugkoppelingResponse(url=AP.url),
    t.OverzichtAanleverpuntRequest(brin="90AA"),
    t.OverzichtAanleverpuntResponse(aanleverpunt=(AP,)),
    t.DocumentRequest(
        sessie_id=SID,
        **ROUTE,
        zoeksleutel_pgnfrag=ZS,
        overdrachtsoort="overstapdossier",
        dossier_verzameldatum=datetime(2026, 5, 1, 12, tzinfo=UTC),
    ),
    t.DocumentResponse(resultaat="OverdrachtGeslaagd", dossier=DOSSIER),
    t.NotificatieRequest(**ROUTE, koppelsleutel=SID, doel="SWV"),
    t.NotificatieResponse(resultaat="NotificatieOntvangen"),
    t.TerugkoppelingRequest(
        **ROUTE,
        koppelsleutel=SID,
        terugkoppeling=XmlFragment(
            '<terugkoppeling xmlns="http://www.edustandaard.nl/oso_gegevensset/2019/dossier"><x/></terugkoppeling>'
        ),
    ),
    t.TerugkoppelingResponse(resultaat="TerugkoppelingOntvangen"),
]


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda m: type(m).__name__)
def test_every_message_is_valid_against_the_transport_schema_and_round_trips(message):
    data = envelope.message(message)
    if type(message).__name__.endswith("Request"):
        _, element = envelope.read_request(data)
        assert envelope.decode(element) == message
    else:
        assert envelope.read_response(data, type(message)) == message


def test_every_operation_has_an_example():
    names = {t.element_name(m) for m in EXAMPLES}
    assert names == set(t.OPERATIONS) | {n.replace("Request", "Response") for n in t.OPERATIONS}


def test_sleutel_is_exactly_one_key():
    assert t.sleutel(EXAMPLES[0]) == ("zoeksleutel", "abc=")
    assert t.sleutel(EXAMPLES[1]) == ("koppelsleutel", SID)  # compared case-insensitively
    both = t.OverdrachtRequest(
        bron_brin="90AA",
        doel_brin="90AZ",
        doel_rk=RK_Z,
        zoeksleutel_pgnfrag=ZS,
        koppelsleutel=SID,
        overdrachtsoort="overstapdossier",
    )
    assert t.sleutel(both) is None
