"""zeep, a real SOAP client, loads both WSDLs and runs a full po-vo transfer as a doel."""

from zeep import Client
from zeep.exceptions import Fault

from oso.schema import dossier_schema
from oso.validation import validate


def test_zeep_full_po_vo_transfer(world):
    pupil, (doel_brin, doel_rk) = world.pupil("povo"), world.school("vo")
    tc = Client(f"{world.url}/tc?wsdl")
    granted = tc.service.overdracht(
        bronBrin=pupil["bron_brin"],
        doelBrin=doel_brin,
        doelRouteringsKenmerk=doel_rk,
        zoeksleutelPgnfrag={"zoeksleutel": pupil["zoeksleutel"]},
        overdrachtsoort="overstapdossier",
    )
    ap = granted.aanleverpunt[0]
    school = Client(f"{ap.url}?wsdl")
    answer = school.service.document(
        sessieId=granted.sessieId,
        bronBrin=pupil["bron_brin"],
        bronRouteringsKenmerk=ap.routeringsKenmerk,
        doelBrin=doel_brin,
        doelRouteringsKenmerk=doel_rk,
        zoeksleutelPgnfrag={"zoeksleutel": pupil["zoeksleutel"]},
        overdrachtsoort="overstapdossier",
    )
    assert answer.resultaat == "OverdrachtGeslaagd"
    from lxml import etree

    assert validate(etree.tostring(answer._value_1), dossier_schema()) == []
    closed = tc.service.afmelding(
        sessieId=granted.sessieId,
        bronRouteringsKenmerk=ap.routeringsKenmerk,
        doelRouteringsKenmerk=doel_rk,
        resultaat="OverdrachtGeslaagd",
    )
    assert closed == "AfmeldingOntvangen"
    try:
        tc.service.afmelding(sessieId=granted.sessieId, doelRouteringsKenmerk=doel_rk, resultaat="OverdrachtGeslaagd")
    except Fault as fault:
        assert fault.message.startswith("SessieReedsAfgemeld")
    else:
        raise AssertionError("a second afmelding must fault")
    assert world.admin.get(f"/admin/sessions/{granted.sessieId}").json()["state"] == "afgemeld"
