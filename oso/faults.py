"""The fault catalogue: every code osokit answers with, in one place.

The simulator's SOAP faults, the validator's problems, the CLI and the reports all use these
codes. Where the public OSO record names a code (Kennisnet's developer wiki), osokit uses that
name and says so in ``source``; every other code is osokit's own choice, documented here and in
``docs/transport.md``. Users holding the official fault table can map codes with a profile of
their own; the names here stay stable across osokit releases.

Afmelding results (the ``resultaat`` a doel reports when it closes a session) are ordered best
first; :func:`best_result` picks the one a doel must report over all endpoints it asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from oso.errors import OsokitError

KENNISNET = "Kennisnet developer wiki (OSO:2017/2022 use cases)"
OSOKIT = "osokit (not in the public OSO record)"


class Party(StrEnum):
    """Who is at fault, as SOAP 1.1 ``faultcode`` says it."""

    CLIENT = "Client"
    SERVER = "Server"


class Layer(StrEnum):
    TRANSPORT = "transport"  # the HTTP request or SOAP envelope itself
    TC = "tc"  # the Traffic Center's session rules
    BRON = "bron"  # the sending school's answer to a documentRequest
    DOEL = "doel"  # the receiving school's endpoint
    ACCESS = "access"  # certificates and mandates


@dataclass(frozen=True)
class FaultSpec:
    code: str
    layer: Layer
    text: str  # what happened, as a default message
    party: Party = Party.CLIENT
    source: str = OSOKIT
    http_status: int = 500  # SOAP 1.1: a fault travels with HTTP 500


CATALOGUE: dict[str, FaultSpec] = {}


def _f(code: str, layer: Layer, text: str, **kw: object) -> str:
    CATALOGUE[code] = FaultSpec(code, layer, text, **kw)  # type: ignore[arg-type]
    return code


T = Layer.TRANSPORT
# --- the request itself -----------------------------------------------------------------------
LEEG_BERICHT = _f("LeegBericht", T, "the request has no body")
BERICHT_TE_GROOT = _f("BerichtTeGroot", T, "the request body exceeds the size limit")
BERICHT_TE_TRAAG = _f("BerichtTeTraag", T, "the request body did not arrive within the time limit")
XML_NIET_WELGEVORMD = _f("XmlNietWelgevormd", T, "the request is not well-formed XML")
DTD_NIET_TOEGESTAAN = _f("DtdNietToegestaan", T, "DOCTYPE declarations and entities are not accepted")
GEEN_SOAP_ENVELOPE = _f("GeenSoapEnvelope", T, "the document is not a SOAP 1.1 envelope")
SOAP_VERSIE = _f("SoapVersieNietOndersteund", T, "SOAP 1.2 envelope sent to a SOAP 1.1 service")
ENVELOPE_ONJUIST = _f("EnvelopeOnjuist", T, "the SOAP envelope is malformed (body missing, repeated or empty)")
ONBEKENDE_OPERATIE = _f("OnbekendeOperatie", T, "the body element is not an operation of this service")
ONJUISTE_NAMESPACE = _f("OnjuisteNamespace", T, "the operation is known but in another namespace")
SCHEMA_FOUT = _f("SchemaFout", T, "the message does not conform to the transport schema")
PGN_ONVERSLEUTELD = _f("PgnOnversleuteld", T, "a pupil number (PGN) was sent in clear instead of a zoeksleutel")
ZOEKSLEUTEL_ONGELDIG = _f("ZoeksleutelOngeldig", T, "the zoeksleutel cannot be read with this simulator's scheme")
DOSSIER_ONGELDIG = _f("DossierOngeldig", T, "the carried dossier fails its schema or business rules")
INTERNE_FOUT = _f("InterneFout", T, "the simulator hit an unexpected error", party=Party.SERVER)
TIJDELIJK = _f(
    "TijdelijkNietBeschikbaar",
    T,
    "service temporarily unavailable (its storage is full or failing, or an injected fault): retry later",
    party=Party.SERVER,
)
# Non-SOAP requests get plain HTTP errors with these codes in a small JSON body.
GEEN_SOAP_VERZOEK = _f("GeenSoapVerzoek", T, "not a SOAP request (content type is not text/xml)", http_status=415)
METHODE_NIET_TOEGESTAAN = _f("MethodeNietToegestaan", T, "use POST for SOAP, GET ?wsdl for the WSDL", http_status=405)

A = Layer.ACCESS
CERTIFICAAT_ONTBREEKT = _f("CertificaatOntbreekt", A, "no client certificate was presented")
CERTIFICAAT_ONBEKEND = _f("CertificaatOnbekend", A, "the client certificate belongs to no known vendor")
NIET_GEMACHTIGD = _f("NietGemachtigd", A, "the vendor is not mandated by this school", source=KENNISNET)

C = Layer.TC
# Granting a session (overdrachtRequest).
AANVRAGER_NIET_BEKEND = _f("AanvragerNietBekend", C, "the doel school is not known to the TC")
AANLEVERPUNT_NIET_ACTIEF = _f("AanleverpuntNietActief", C, "the doel's aanleverpunt is unknown or not active")
VERSTREKKER_NIET_BEKEND = _f("VerstrekkerNietBekend", C, "the bron school is not known to the TC", source=KENNISNET)
VERSTREKKER_AANLEVERPUNT = _f(
    "VerstrekkerAanleverpuntOnbekend",
    C,
    "the bron aanleverpunt is unknown, inactive or not the bron school's "
    "(the public table shows this code cut off as 'VerstrekkerAanle...')",
)
GEEN_ACTIEVE_AANLEVERPUNTEN = _f("GeenActieveAanleverpunten", C, "the bron school has no active aanleverpunt (asked)")
SLEUTEL_KEUZE = _f("ZoeksleutelOfKoppelsleutel", C, "give exactly one of zoeksleutel/pgnfrag or koppelsleutel")
ONGELDIGE_OVERDRACHTSOORT = _f("OngeldigeOverdrachtsoort", C, "overdrachtsoort is not one the TC knows")
# Checking and closing a session (sessiecontrole, afmelding).
SESSIE_ONBEKEND = _f("SessieOnbekend", C, "no session with this sessieId")
SESSIE_AFWIJKEND = _f(
    "SessieAfwijkend", C, "bron/doel, overdrachtsoort or zoeksleutel differ from the session", source=KENNISNET
)
ONBEKEND_AANLEVERPUNT = _f(
    "OnbekendAanleverpunt", C, "the doel aanleverpunt differs from the session's", source=KENNISNET
)
GEEN_RELATIE_MET_DOEL = _f(
    "GeenRelatieMetDoel", C, "binnen-BRIN transfer between two different BRINs", source=KENNISNET
)
SESSIE_REEDS_AFGEMELD = _f("SessieReedsAfgemeld", C, "the session was already closed (afmelding)", source=KENNISNET)
SESSIE_VERLOPEN = _f("SessieVerlopen", C, "the session expired: idle longer than the TC allows")
KOPPELSLEUTEL_ONBEKEND = _f("KoppelsleutelOnbekend", C, "no notification or terugkoppeling with this koppelsleutel")
ONGELDIG_RESULTAAT = _f("OngeldigResultaat", C, "afmelding with a resultaat that is not in the result table")

B = Layer.BRON
DOSSIER_NIET_GEVONDEN = _f("DossierNietGevonden", B, "the bron has no dossier for this pupil")
DOSSIER_NIET_GEREED = _f("DossierNietGereed", B, "the dossier is not prepared (klaargezet) yet")
DOSSIER_NIET_TOEGESTAAN = _f("DossierNietToegestaan", B, "the dossier may not go to this doel (no inzage/consent)")
DOSSIER_VERLOPEN = _f("DossierVerlopen", B, "the dossier was prepared before the summer and has expired")
GEEN_NIEUWER_DOSSIER = _f("GeenNieuwerDossier", B, "no dossier collected after the requested dossierVerzameldatum")
AANLEVERPUNT_ONBEREIKBAAR = _f("AanleverpuntOnbereikbaar", B, "the bron endpoint did not answer", party=Party.SERVER)

D = Layer.DOEL
DOEL_ONBEKEND = _f("DoelOnbekend", D, "this endpoint does not accept messages for that doel")

# Afmelding results, best first. A doel reports the best over all aanleverpunten it asked.
RESULTATEN: tuple[str, ...] = (
    "OverdrachtGeslaagd",  # the one result name the public record shows
    GEEN_NIEUWER_DOSSIER,
    DOSSIER_NIET_GEREED,
    DOSSIER_NIET_TOEGESTAAN,
    DOSSIER_VERLOPEN,
    DOSSIER_NIET_GEVONDEN,
    AANLEVERPUNT_ONBEREIKBAAR,
    INTERNE_FOUT,
)
GESLAAGD = RESULTATEN[0]


def best_result(results: list[str] | tuple[str, ...]) -> str:
    """The best result over all aanleverpunten asked; of equals, the last one asked wins."""
    if not results:
        raise ValueError("no results to choose from")
    return min(reversed(results), key=RESULTATEN.index)


class OsoFault(OsokitError):
    """A rejection with a catalogue code, a message that says what, and where (if known)."""

    def __init__(
        self, code: str, message: str | None = None, *, where: str | None = None, sent: str | None = None
    ) -> None:
        if code not in CATALOGUE:
            raise ValueError(f"fault code {code} is not in the catalogue")
        self.code = code
        self.sent = sent  # a peer's code outside the catalogue, which ``code`` stands in for
        self.message = message or CATALOGUE[code].text
        self.where = where
        super().__init__(f"{code}: {self.message}" + (f" (at {where})" if where else ""))

    @property
    def spec(self) -> FaultSpec:
        return CATALOGUE[self.code]


# Refusals that are right answers, not failures: a bron that has no dossier to give (yet, any more,
# newer, or for this doel) says so with one of these, and the doel reports it as the session's
# result. They are the protocol working; the pages show them as answers, apart from the faults.
ANSWERS: frozenset[str] = frozenset(
    (GEEN_NIEUWER_DOSSIER, DOSSIER_NIET_GEREED, DOSSIER_NIET_TOEGESTAAN, DOSSIER_VERLOPEN, DOSSIER_NIET_GEVONDEN)
)
