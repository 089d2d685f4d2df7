"""The OSO dossier (gegevensset 2019.1) as typed, immutable values.

Each class is one block of the standard; its fields appear in schema order and carry the
element names of the standard (see :mod:`oso.xmlmodel` for how a field sits in XML), so
:mod:`oso.codec` can read and write any of them without per-class code.

The sixteen categories of the standard and which fields belong to each live in
:mod:`oso.profiles`; the glossary of Dutch terms is in ``docs/glossary.md``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from oso.xmlmodel import attr, edit, groups, lijst, many, model, opt, req, text

__all__ = ["edit"]  # re-exported: the dossier is where callers reach for it


# --- shared building blocks -------------------------------------------------------------------


@model
class Land:
    code: str = text()
    omschrijving: str | None = attr()


@model
class Adres:
    soortadres: str = req()
    straat: str = req()
    nummer: str = req()
    toevoeging: str | None = opt()
    aanduiding: str | None = opt()
    locatieomschrijving: str | None = opt()
    postcode: str = req()
    plaats: str = req()
    gemeente: str | None = opt()
    land: Land | None = opt()


@model
class Communicatie:
    soort: str = req()
    aanduiding: str | None = opt()
    nummer: str = req()
    geheim: bool | None = opt()
    noodnummer: bool | None = opt()


@model
class Document:
    bestandsnaam: str = req()
    omschrijving: str | None = opt()
    bestandsinhoud: str = req()


@model
class Persoon:
    voornaam: tuple[str, ...] = many()
    voorletters: str | None = opt(xml="voorletters-1")
    voorvoegsel: str | None = opt()
    achternaam: str = req()
    roepnaam: str | None = opt()
    geslacht: int | None = opt()
    adresgeheim: bool | None = opt()
    adreslijst: tuple[Adres, ...] = lijst("adres")
    communicatielijst: tuple[Communicatie, ...] = lijst("communicatie")


@model
class Verzorger(Persoon):
    relatietotkind: str | None = opt()
    overleden: bool | None = opt()
    overlijdensdatum: date | None = opt()
    wettigevertegenwoordiger: bool = req()
    banknummer: str | None = opt()
    iban: str | None = opt()


@model
class Instelling:
    naam: str = req()
    adreslijst: tuple[Adres, ...] = lijst("adres")
    communicatielijst: tuple[Communicatie, ...] = lijst("communicatie")


@model
class School(Instelling):
    brincode: str = req()
    vestigingscode: str = req()
    aanleverpunt: str = req()
    soort: str | None = opt()
    type: str | None = opt()
    naamdirecteur: str | None = opt()
    website: str | None = opt()


# --- category: metadata -----------------------------------------------------------------------


@model
class CategorieUitlevering:
    cat_metadata: str = req()
    cat_ouderinzage: str = req()
    cat_school: str = req()
    cat_leerling: str = req()
    cat_oudersverzorgers: str = req()
    cat_vve: str = req()
    cat_schoolloopbaan: str = req()
    cat_overstapadvies: str = req()
    cat_onderwijsondersteuning: str = req()
    cat_verzuim: str = req()
    cat_eindtoetsbo: str = req()
    cat_toetsresultaten: str = req()
    cat_handelingsplannen: str = req()
    cat_cijferlijsten: str = req()
    cat_vombo: str = req()
    cat_bijlagedocs: str = req()


@model
class Metadata:
    deeldossier: str = req()
    pakketnaam: str = req()
    pakketversie: str = req()
    datum: date = req()
    standaardversie: str = req()
    validatieversie: str = req()
    categorie_uitlevering: CategorieUitlevering | None = opt()
    overstap: str | None = opt()


# --- category: ouderinzage --------------------------------------------------------------------


@model
class Inzage:
    voorlopigdossier: bool = req()
    inzage: bool | None = opt()
    inzagedatum: date | None = opt()
    akkoord: str | None = opt()
    redennietakkoord: str | None = opt()
    toestemming: str | None = opt()


# --- category: leerling -----------------------------------------------------------------------


@model
class Gba:
    gbavoornaam: tuple[str, ...] = many()
    gbavoorvoegsel: str | None = opt()
    gbaachternaam: str = req()
    gbageboortedatum: str = req()


@model
class Nationaliteit:
    code: str = text()
    omschrijving: str | None = attr()


# --- category: overstapadvies -----------------------------------------------------------------


@model
class Overstapadvies:
    advies: str | None = opt()
    wensouders: str | None = opt()
    wensleerling: str | None = opt()
    herzienadvies: str | None = opt()
    motivatie_herzienadvies: str | None = opt()
    profiel: str | None = opt()
    argumentatie: str | None = opt()
    contactnodig: bool | None = opt()
    contactpersoon: str | None = opt()
    contacttelefoon: str | None = opt()
    contactemail: str | None = opt()
    aandachtspunten: str | None = opt()


# --- category: vve ----------------------------------------------------------------------------


@model
class Voorschools:
    codevoorschoolsehistorie: int | None = opt()
    codevoorschoolsprogramma: int = req()
    voorschoolsemaanden: int = req()
    codevoorschoolsetoeleider: int | None = opt()
    codevoorschoolsedeelname: int | None = opt()
    voorschoolseaanwezigheid: int | None = opt()


@model
class Vroegschools:
    codevroegschoolsprogramma: int = req()
    vroegschoolsdatumingang: date = req()
    vroegschoolseinddatum: date | None = opt()


# --- category: schoolloopbaan -----------------------------------------------------------------


@model
class Schoolloopbaan:
    schooljaar: str = req()
    groepscode: str = req()
    groepsnaam: str | None = opt()
    jaargroep: str = req()
    begindatum: date | None = opt()
    einddatum: date | None = opt()
    brincode: str = req()
    vestigingscode: str = req()
    schoolsoort: str | None = opt()
    schooltype: str | None = opt()
    voelementcode: str | None = opt()
    voelementomschrijving: str | None = opt()
    schoolsoortomschrijving: str | None = opt()


# --- categories: onderwijsondersteuning and handelingsplannen ---------------------------------


@model
class ToelichtingOnderwijsbehoeften:
    document: Document = req()


@model
class Diagnose:
    code: tuple[str, ...] = many()
    naam: str | None = opt()
    datum: date | None = opt()
    doorwie: str | None = opt()
    instantie: str | None = opt()
    document: tuple[Document, ...] = many()


@model
class Handelingsplan:
    startdatum: date = req()
    einddatum: date | None = opt()
    isgerichtop: str = req()
    document: Document | None = opt()


@model
class Opp:
    opp_ingangdatum: date = req()
    opp_einddatum: date | None = opt()
    document: tuple[Document, ...] = many()


@model
class Tlv:
    tlvingangdatum: date = req()
    tlvswvnummer: str = req()
    tlvcategorie: str = req()
    tlvbeschikkingsnummer: str = req()
    tlveinddatum: date | None = opt()
    document: Document | None = opt()


@model
class ArrangementCluster12:
    arrangement_datum: date = req()
    arrangement_brin: str | None = opt()
    arrangement_vestigingscode: str | None = opt()


@model
class ArrangementPao:
    arrangement_datum: date = req()
    arrangement_kenmerk: str | None = opt()
    arrangement_beschikkingsnr: str | None = opt()
    arrangement_einddatum: date | None = opt()


@model
class Lwoo:
    lwoo_ingangdatum: date = req()
    lwoo_swvnummer: str = req()
    lwoo_beschikkingsnummer: str = req()
    lwoo_einddatum: date | None = opt()
    document: Document | None = opt()


@model
class SignaleringLwooPro:
    deelgenomenaanonderzoek: bool = req()
    leerachterstand: bool = req()
    lagescoreeindtoets: bool = req()


@model
class Rvc:
    centraleproblematiek: str | None = opt()
    maatregelen: str | None = opt()
    signaleringlwoopro: SignaleringLwooPro = req()
    rvcdatum: date | None = opt()
    rvcindicatie: str | None = opt()
    document: tuple[Document, ...] = many()


@model
class Onderwijsondersteuning:
    toelichting_onderwijsbehoeften: ToelichtingOnderwijsbehoeften | None = opt()
    diagnose: tuple[Diagnose, ...] = many()
    medicijngebruik: bool | None = opt()
    handelingsplan: tuple[Handelingsplan, ...] = many()
    opp: Opp | None = opt()
    tlv: tuple[Tlv, ...] = many()
    arrangement_cluster12: tuple[ArrangementCluster12, ...] = many()
    arrangement_pao: tuple[ArrangementPao, ...] = many()
    lwoo: Lwoo | None = opt()
    rvc: Rvc | None = opt()


# --- category: verzuim ------------------------------------------------------------------------


@model
class Verzuim:
    dagdelengeoorloofd: int | None = opt()
    dagdelenongeoorloofd: int | None = opt()
    urengeoorloofd: int | None = opt()
    urenongeoorloofd: int | None = opt()
    meerdan25percent: bool | None = opt()
    frequentie: int | None = opt()
    contactleerplicht: bool | None = opt()
    rmcmelding: bool | None = opt()
    documentLijst: tuple[Document, ...] = lijst("document")  # noqa: N815 (the standard's name)


# --- category: eindtoetsbo --------------------------------------------------------------------


@model
class EindtoetsDomein:
    domeincode: str = req()
    domeinomschrijving: str | None = opt()
    dom_referentieniveau: str | None = opt()


@model
class EindtoetsDomeinen:
    domein: tuple[EindtoetsDomein, ...] = many()


@model
class EindtoetsOnderdeel:
    onderdeelcode: str = req()
    onderdeelomschrijving: str | None = opt()
    ond_referentieniveau: str | None = opt()
    domeinen: EindtoetsDomeinen | None = opt()


@model
class EindtoetsOnderdelen:
    onderdeel: tuple[EindtoetsOnderdeel, ...] = many()


@model
class Eindtoetsresultaat:
    toetssoort: str = req()
    toetsniveau: str = req()
    toetsomschrijving: str | None = opt()
    datum_afname: date = req()
    wettelijke_ontheffing: str | None = opt()
    standaardscore: int | None = opt()
    toets_advies: str | None = opt()
    onderdelen: EindtoetsOnderdelen = req()


@model
class EindtoetsBasisonderwijs:
    eindtoetsresultaat: Eindtoetsresultaat | None = opt()
    deelgenomen: bool = req()
    document: tuple[Document, ...] = many()


# --- category: toetsresultaten ----------------------------------------------------------------


@model
class Toetsidentificatie:
    eldtoetscode: str = req()
    leergebied: str | None = opt()
    toetsnaam: str | None = opt()
    toetsversie: str | None = opt()


@model
class WerktBijInstelling:
    instelling: Instelling | None = opt()
    school: School | None = opt()


@model
class AfgenomenDoor:
    naammedewerker: str = req()
    functie: str | None = opt()
    werktbijinstelling: WerktBijInstelling | None = opt()


@model
class Afname:
    afnamedatum: date = req()
    jaargroep: str | None = opt()
    dl: int | None = opt()
    afgenomendoor: AfgenomenDoor | None = opt()


@model
class Betrouwbaarheidsinterval:
    bivlaag: Decimal = req()
    bivhoog: Decimal = req()


@model
class Toetsscore:
    aantalopgaven: int | None = opt()
    aantalgoed: int | None = opt()
    aantalfout: int | None = opt()
    aantalgelezen: int | None = opt()
    tijd: Decimal | None = opt()
    vaardigheidsscore: Decimal | None = opt()
    codevaardigheidsschaal: str | None = opt()
    betrouwbaarheidsinterval: Betrouwbaarheidsinterval | None = opt()


@model
class Referentiescore:
    codereferentiescore: str = req()
    codevergelijkingsgroep: str = req()
    waarde: str = req()
    kwalificatie: str | None = opt()


@model
class Resultaat:
    toetsscore: Toetsscore | None = opt()
    referentiescore: tuple[Referentiescore, ...] = many()
    document: Document | None = opt()


@model
class Toetsonderdeel:
    eldonderdeelcode: str = req()
    onderdeelnaam: str | None = opt()
    resultaat: Resultaat = req()


@model
class Toets:
    toetsidentificatie: Toetsidentificatie = req()
    afname: Afname = req()
    resultaat: Resultaat = req()
    toetsonderdeel: tuple[Toetsonderdeel, ...] = many()
    opmerking: str | None = opt()


# --- category: cijferlijsten ------------------------------------------------------------------


@model
class Score:
    waarde: str | None = opt()
    kwalificatie: str | None = opt()


@model
class CijferOnderdeel:
    naam: str = req()
    score: Score = req()
    afnamedatum: date | None = opt()
    jaargroep: str | None = opt()
    periode: str | None = opt()


@model
class Rapportgroep:
    """One group inside ``cijferlijstTypelijst``: a name, its parts and its overall scores."""

    naam: str = req()
    onderdeel: tuple[CijferOnderdeel, ...] = many()
    score: tuple[Score, ...] = many()


@model
class CijferlijstTypelijst:
    groepen: tuple[Rapportgroep, ...] = groups()


@model
class Cijferlijst:
    cijferlijstTypelijst: CijferlijstTypelijst = req()  # noqa: N815
    afnamedatum: date | None = opt()
    jaargroep: str = req()
    periode: str | None = opt()


# --- category: vombo --------------------------------------------------------------------------


@model
class Bevorderd:
    elementcode: str | None = opt()
    leerjaar: str | None = opt()


@model
class Examenresultaat:
    soortdiploma: str | None = opt()
    examenjaar: int | None = opt()
    datumuitslag: date | None = opt()
    examenuitslag: str | None = opt()


@model
class Werkstuk:
    werkstuktitel: str = req()
    werkstukbeoordeling: str = req()


@model
class ResultaatVakVo:
    """One subject; exactly one of the result fields after ``examenvak`` is given."""

    vakcode: str = req()
    vakleergebied: str | None = opt()
    afgerond: bool = req()
    datumafgerond: date | None = opt()
    examenvak: bool = req()
    beoordelingexamenvak: str | None = opt()
    exameneindcijfer: int | None = opt()
    cijferce: Decimal | None = opt()
    eindcijferse: Decimal | None = opt()
    cijferse: tuple[Decimal, ...] = many()
    rapportcijfer: Decimal | None = opt()
    werkstuk: Werkstuk | None = opt()


@model
class Competentie:
    competentiereferentie: str | None = opt()
    competentiecategorie: str | None = opt()
    competentiebeschrijving: str | None = opt()
    competentiestatus: str | None = opt()


@model
class Stage:
    begindatum: date | None = opt()
    einddatum: date | None = opt()
    soortstage: str | None = opt()
    functierol: str | None = opt()
    instelling: Instelling | None = opt()
    beoordeling: str | None = opt()


@model
class OverigVombo:
    keuzevervolgopleiding: str | None = opt()
    beroepskeuzetest: bool = req()
    portfolio: bool = req()
    pop: bool = req()
    motivatiebrief: bool = req()
    lobdossier: bool = req()


# --- the pupil and the dossier ----------------------------------------------------------------


@model
class Leerling:
    # category leerling
    voornaam: tuple[str, ...] = many()
    voorletters: str | None = opt(xml="voorletters-1")
    voorvoegsel: str | None = opt()
    achternaam: str = req()
    roepnaam: str | None = opt()
    geboortedatum: date | None = opt()
    geboortemaand: str | None = opt()
    geslacht: int | None = opt()
    adresgeheim: bool | None = opt()
    adreslijst: tuple[Adres, ...] = lijst("adres")
    postcode4adres: str | None = opt()
    communicatielijst: tuple[Communicatie, ...] = lijst("communicatie")
    gba: Gba | None = opt()
    adresbuitenland: tuple[str, ...] = many()
    geboorteplaats: str | None = opt()
    nationaliteit: tuple[Nationaliteit, ...] = many()
    onderwijsnummer: str | None = opt()
    bsn: str | None = opt()
    leerlingid: str | None = opt()
    onderwijssinds: date | None = opt()
    startdatumhuidigonderwijs: date | None = opt()
    datuminschrijving: date | None = opt()
    datumuitschrijving: date | None = opt()
    teruggeplaatstnaarbrin: str | None = opt()
    leerlinggewicht: str | None = opt()
    nnca: str | None = opt()
    tehuis: bool | None = opt()
    huisarts: Persoon | None = opt()
    # category oudersverzorgers (first part; the carers themselves follow below)
    verzorgersaansprakelijk: bool | None = opt()
    aansprakelijkeinstelling: Instelling | None = opt()
    # category overstapadvies
    overstapadvies: Overstapadvies | None = opt()
    # category vve
    vanpeuterspeelzaal: bool | None = opt()
    naampeuterspeelzaal: str | None = opt()
    voorschools: Voorschools | None = opt()
    vroegschools: tuple[Vroegschools, ...] = many()
    # category schoolloopbaan
    schoolloopbaanlijst: tuple[Schoolloopbaan, ...] = lijst("schoolloopbaan")
    # categories onderwijsondersteuning and handelingsplannen
    onderwijsondersteuning: Onderwijsondersteuning | None = opt()
    # category verzuim
    verzuim: Verzuim | None = opt()
    # category eindtoetsbo
    eindtoets_basisonderwijs: EindtoetsBasisonderwijs | None = opt()
    # category toetsresultaten
    toetslijst: tuple[Toets, ...] = lijst("toets")
    # category cijferlijsten
    cijferlijstlijst: tuple[Cijferlijst, ...] = lijst("cijferlijst")
    # category bijlagedocs
    overigdocumentlijst: tuple[Document, ...] = lijst("document")
    # category oudersverzorgers
    verzorger: tuple[Verzorger, ...] = many()
    # category vombo
    bevorderd: Bevorderd | None = opt()
    examenresultaat: Examenresultaat | None = opt()
    resultaatvakkenvo: tuple[ResultaatVakVo, ...] = many()
    certificaat: tuple[str, ...] = many()
    competenties: tuple[Competentie, ...] = many()
    stage: tuple[Stage, ...] = many()
    overigvombo: OverigVombo | None = opt()

    @property
    def pgn(self) -> str | None:
        """The persoonsgebonden nummer: BSN, or onderwijsnummer for pupils without one."""
        return self.bsn or self.onderwijsnummer


@model
class HuidigeSchool(School):
    leerling: Leerling = req()


@model
class Dossier:
    metadata: Metadata = req()
    overdrachtsoort: str = req()
    inzage: Inzage | None = opt()
    huidigeschool: HuidigeSchool = req()

    @property
    def leerling(self) -> Leerling:
        return self.huidigeschool.leerling


# --- feedback from the secondary school (terugkoppeling) --------------------------------------


@model
class VoSchool:
    school: School = req()


@model
class Leerlingmatching:
    leerlingid: str = req()
    voornaam: tuple[str, ...] = many()
    tussenvoegsel: str | None = opt()
    achternaam: str = req()
    geslacht: int = req()
    geboortedatum: date = req()


@model
class TipPerSchooljaar:
    schooljaar: str = req()
    begindatum: date = req()
    einddatum: date = req()
    groepsnaam: str | None = opt()
    jaargroep: str = req()
    iltcode: str = req()
    iltomschrijving: str = req()


@model
class Vertrek:
    vertrekdatum: date = req()
    vertrekreden: str | None = opt()


@model
class Terugkoppelinformatie:
    tiperschooljaar: tuple[TipPerSchooljaar, ...] = many()
    vertrek: Vertrek | None = opt()


@model
class Terugkoppeling:
    metadata: Metadata = req()
    voschool: VoSchool = req()
    leerlingmatching: Leerlingmatching = req()
    terugkoppelinformatie: Terugkoppelinformatie = req()
