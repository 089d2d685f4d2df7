"""The OSO transport messages (Overstapservice 20200910) as typed values.

Element names are the published ones; the Python names are their snake_case forms. Each request
class knows its response class and the service that answers it (the Traffic Center or a school's
aanleverpunt). :mod:`oso.codec` reads and writes them like the dossier.
"""

from __future__ import annotations

from datetime import datetime

from oso.namespaces import DOSSIER, SERVICE
from oso.xmlmodel import XmlFragment, many, model, opt, req

SCHEMA_DIR = "overstapservice-20200910"


@model(namespace=SERVICE)
class ZoeksleutelPgnfrag:
    zoeksleutel: str | None = opt()
    pgnfrag: str | None = opt()


@model(namespace=SERVICE)
class Aanleverpunt:
    brin: str = req()
    routeringskenmerk: str = req(xml="routeringsKenmerk")
    url: str = req()
    doel: str | None = opt()
    omschrijving: str | None = opt()


# --- Traffic Center ------------------------------------------------------------------------------


@model(namespace=SERVICE)
class OverdrachtRequest:
    bron_brin: str = req(xml="bronBrin")
    bron_rk: str | None = opt(xml="bronRouteringsKenmerk")
    doel_brin: str = req(xml="doelBrin")
    doel_rk: str = req(xml="doelRouteringsKenmerk")
    zoeksleutel_pgnfrag: ZoeksleutelPgnfrag | None = opt(xml="zoeksleutelPgnfrag")
    koppelsleutel: str | None = opt()
    overdrachtsoort: str = req()


@model(namespace=SERVICE)
class OverdrachtResponse:
    sessie_id: str = req(xml="sessieId")
    aanleverpunt: tuple[Aanleverpunt, ...] = many()


@model(namespace=SERVICE)
class SessiecontroleRequest:
    bron_brin: str = req(xml="bronBrin")
    bron_rk: str = req(xml="bronRouteringsKenmerk")
    doel_brin: str = req(xml="doelBrin")
    doel_rk: str = req(xml="doelRouteringsKenmerk")
    zoeksleutel_pgnfrag: ZoeksleutelPgnfrag | None = opt(xml="zoeksleutelPgnfrag")
    koppelsleutel: str | None = opt()
    overdrachtsoort: str = req()
    sessie_id: str = req(xml="sessieId")


@model(namespace=SERVICE)
class SessiecontroleResponse:
    resultaat: str = req()
    sector: str = req()


@model(namespace=SERVICE)
class AfmeldingRequest:
    sessie_id: str = req(xml="sessieId")
    bron_rk: str | None = opt(xml="bronRouteringsKenmerk")
    doel_rk: str = req(xml="doelRouteringsKenmerk")
    resultaat: str = req()


@model(namespace=SERVICE)
class AfmeldingResponse:
    resultaat: str = req()


@model(namespace=SERVICE)
class MeldenNotificatieRequest:
    bron_brin: str = req(xml="bronBrin")
    bron_rk: str = req(xml="bronRouteringsKenmerk")
    doel_brin: str = req(xml="doelBrin")
    doel_rk: str = req(xml="doelRouteringsKenmerk")


@model(namespace=SERVICE)
class MeldenNotificatieResponse:
    koppelsleutel: str = req()
    url: str = req()


@model(namespace=SERVICE)
class MeldenTerugkoppelingRequest:
    bron_brin: str = req(xml="bronBrin")
    bron_rk: str = req(xml="bronRouteringsKenmerk")
    doel_brin: str = req(xml="doelBrin")
    doel_rk: str = req(xml="doelRouteringsKenmerk")
    koppelsleutel: str = req()


@model(namespace=SERVICE)
class MeldenTerugkoppelingResponse:
    url: str = req()


@model(namespace=SERVICE)
class OverzichtAanleverpuntRequest:
    brin: str | None = opt()
    doel: str | None = opt()
    routeringskenmerk: str | None = opt(xml="routeringsKenmerk")


@model(namespace=SERVICE)
class OverzichtAanleverpuntResponse:
    aanleverpunt: tuple[Aanleverpunt, ...] = many()


# --- a school's aanleverpunt --------------------------------------------------------------------


@model(namespace=SERVICE)
class DocumentRequest:
    sessie_id: str = req(xml="sessieId")
    bron_brin: str = req(xml="bronBrin")
    bron_rk: str = req(xml="bronRouteringsKenmerk")
    doel_brin: str = req(xml="doelBrin")
    doel_rk: str = req(xml="doelRouteringsKenmerk")
    zoeksleutel_pgnfrag: ZoeksleutelPgnfrag | None = opt(xml="zoeksleutelPgnfrag")
    koppelsleutel: str | None = opt()
    overdrachtsoort: str = req()
    dossier_verzameldatum: datetime | None = opt(xml="dossierVerzameldatum")


@model(namespace=SERVICE)
class DocumentResponse:
    resultaat: str = req()
    dossier: XmlFragment = req(ns=DOSSIER)


@model(namespace=SERVICE)
class NotificatieRequest:
    bron_brin: str = req(xml="bronBrin")
    bron_rk: str = req(xml="bronRouteringsKenmerk")
    doel_brin: str = req(xml="doelBrin")
    doel_rk: str = req(xml="doelRouteringsKenmerk")
    koppelsleutel: str = req()
    doel: str = req()


@model(namespace=SERVICE)
class NotificatieResponse:
    resultaat: str = req()


@model(namespace=SERVICE)
class TerugkoppelingRequest:
    bron_brin: str = req(xml="bronBrin")
    bron_rk: str = req(xml="bronRouteringsKenmerk")
    doel_brin: str = req(xml="doelBrin")
    doel_rk: str = req(xml="doelRouteringsKenmerk")
    koppelsleutel: str = req()
    terugkoppeling: XmlFragment = req(ns=DOSSIER)


@model(namespace=SERVICE)
class TerugkoppelingResponse:
    resultaat: str = req()


# --- the operations ------------------------------------------------------------------------------

TC, AANLEVERPUNT = "tc", "aanleverpunt"
OPERATIONS: dict[str, tuple[type, type, str]] = {
    "overdrachtRequest": (OverdrachtRequest, OverdrachtResponse, TC),
    "sessiecontroleRequest": (SessiecontroleRequest, SessiecontroleResponse, TC),
    "afmeldingRequest": (AfmeldingRequest, AfmeldingResponse, TC),
    "meldenNotificatieRequest": (MeldenNotificatieRequest, MeldenNotificatieResponse, TC),
    "meldenTerugkoppelingRequest": (MeldenTerugkoppelingRequest, MeldenTerugkoppelingResponse, TC),
    "overzichtAanleverpuntRequest": (OverzichtAanleverpuntRequest, OverzichtAanleverpuntResponse, TC),
    "documentRequest": (DocumentRequest, DocumentResponse, AANLEVERPUNT),
    "notificatieRequest": (NotificatieRequest, NotificatieResponse, AANLEVERPUNT),
    "terugkoppelingRequest": (TerugkoppelingRequest, TerugkoppelingResponse, AANLEVERPUNT),
}
ELEMENT_OF = {cls: name for name, (cls, _, _) in OPERATIONS.items()} | {
    resp: name.replace("Request", "Response") for name, (_, resp, _) in OPERATIONS.items()
}


def element_name(message: object) -> str:
    """The element a message is written as: overdrachtRequest, overdrachtResponse, ..."""
    return ELEMENT_OF[type(message)]


def sleutel(message: OverdrachtRequest | SessiecontroleRequest | DocumentRequest) -> tuple[str, str] | None:
    """(kind, value) of the one key a message carries: zoeksleutel, pgnfrag or koppelsleutel."""
    given = []
    if message.zoeksleutel_pgnfrag is not None:
        zp = message.zoeksleutel_pgnfrag
        given += [("zoeksleutel", zp.zoeksleutel)] if zp.zoeksleutel else []
        given += [("pgnfrag", zp.pgnfrag)] if zp.pgnfrag else []
    if message.koppelsleutel:
        given.append(("koppelsleutel", message.koppelsleutel.lower()))
    return given[0] if len(given) == 1 else None
