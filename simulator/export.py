"""The reference LAS's export (klaarzetten): a pupil as the LAS holds it -> the overstapdossier.

The conformance suite's export mode hands a LAS neutral pupil data (``POST /control/pupils``,
``conformance/pupil.schema.json``); every LAS turns it into a dossier with its own export. This is
the reference LAS's, written with the typed dossier model from the contract's rules
(docs/conformance.md, "From pupil data to dossier"): the profile decides the categories (required
always, forbidden never, an optional one only when the school delivers it); a secret address
stays out and secret numbers go out as placeholders; birthplace and nationality never go out; the
dossier is dated on the day it was prepared. The school block is the LAS's own configuration.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from oso import codec
from oso import dossier as m
from oso.profiles import PROFILE_CATEGORIES, Category, Uitlevering, declared_profile

PAKKETNAAM, PAKKETVERSIE = "osokit-referentie-LAS", "1.0"
PLACEHOLDER = {"telefoon": "9999999999", "e-mail": "geheim@geheim.geheim"}
Data = dict[str, Any]


def own_school(brin: str, vestiging: str, naam: str) -> m.HuidigeSchool:
    """How the reference LAS is configured for one of its schools (address and contact: synthetic)."""
    return m.HuidigeSchool(
        naam=naam,
        adreslijst=(
            m.Adres(soortadres="bezoek", straat="Schoolstraat", nummer="1", postcode="3511AA", plaats="Utrecht"),
        ),
        communicatielijst=(
            m.Communicatie(soort="telefoon", aanduiding="werk", nummer="0301234567", noodnummer=False),
            m.Communicatie(soort="e-mail", aanduiding="werk", nummer=f"administratie@{brin.lower()}.school.example"),
        ),
        brincode=brin,
        vestigingscode=vestiging,
        aanleverpunt="1",
        leerling=m.Leerling(achternaam="-"),
    )


def dossier_xml(data: Data, prepared: datetime, school: m.HuidigeSchool) -> str:
    return codec.to_text(dossier(data, prepared, school), "dossier")


def dossier(data: Data, prepared: datetime, school: m.HuidigeSchool) -> m.Dossier:
    profile = declared_profile(data.get("overdrachtsoort"), data["overstap"])
    table = PROFILE_CATEGORIES[profile]
    deliver = set(data.get("deliver", ()))
    declared = {
        c: Uitlevering.OPT_UIT if u is Uitlevering.OPTIONEEL and c.label not in deliver else u for c, u in table.items()
    }

    def sent(category: Category, key: str) -> Any:
        """The data of a category, when the dossier carries it."""
        ok = declared[category] in (Uitlevering.VERPLICHT, Uitlevering.OPTIONEEL)
        return data.get(key) if ok else None

    metadata = m.Metadata(
        deeldossier="LASLVS",
        pakketnaam=PAKKETNAAM,
        pakketversie=PAKKETVERSIE,
        datum=prepared.date(),
        standaardversie="2019.1",
        validatieversie="2019.1.1",
        categorie_uitlevering=m.CategorieUitlevering(**{c.value: u.value for c, u in declared.items()}),
        overstap=data["overstap"],
    )
    leerling: dict[str, Any] = _personalia(data["personalia"])
    if profile.is_swv:  # a samenwerkingsverband gets no pupil number (PaO.LL12): it has the leerlingid
        leerling.update(bsn=None, onderwijsnummer=None)
    if carers := sent(Category.OUDERSVERZORGERS, "verzorgers"):
        leerling.update(
            verzorgersaansprakelijk=carers["aansprakelijk"],
            aansprakelijkeinstelling=_instelling(carers.get("instelling")),
            verzorger=tuple(_verzorger(p) for p in carers.get("personen", ())),
        )
    if advies := sent(Category.OVERSTAPADVIES, "overstapadvies"):
        leerling["overstapadvies"] = _advies(advies)
    if vve := sent(Category.VVE, "vve"):
        leerling.update(_vve(vve))
    if career := sent(Category.SCHOOLLOOPBAAN, "schoolloopbaan"):
        leerling["schoolloopbaanlijst"] = tuple(_schooljaar(y) for y in career)
    support = sent(Category.ONDERWIJSONDERSTEUNING, "onderwijsondersteuning")
    plans = sent(Category.HANDELINGSPLANNEN, "handelingsplannen")
    if support or plans:
        leerling["onderwijsondersteuning"] = _ondersteuning(support or {}, plans or [])
    if verzuim := sent(Category.VERZUIM, "verzuim"):
        leerling["verzuim"] = _verzuim(verzuim)
    if eindtoets := sent(Category.EINDTOETSBO, "eindtoets"):
        leerling["eindtoets_basisonderwijs"] = _eindtoets(eindtoets)
    if toetsen := sent(Category.TOETSRESULTATEN, "toetsen"):
        leerling["toetslijst"] = tuple(_toets(x) for x in toetsen)
    if lijsten := sent(Category.CIJFERLIJSTEN, "cijferlijsten"):
        leerling["cijferlijstlijst"] = tuple(_cijferlijst(x) for x in lijsten)
    if bijlagen := sent(Category.BIJLAGEDOCS, "bijlagen"):
        leerling["overigdocumentlijst"] = tuple(_document(x) for x in bijlagen)
    if vombo := sent(Category.VOMBO, "vombo"):
        leerling.update(_vombo(vombo))
    inzage = sent(Category.OUDERINZAGE, "inzage")
    return m.Dossier(
        metadata=metadata,
        overdrachtsoort=profile.overdrachtsoort,
        inzage=_inzage(inzage) if inzage else None,
        huidigeschool=m.edit(school, leerling=m.Leerling(**leerling)),
    )


# --- the parts ---------------------------------------------------------------------------------------


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _decimal(value: float | int | None) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


def _document(d: Data) -> m.Document:
    return m.Document(bestandsnaam=d["bestandsnaam"], omschrijving=d.get("omschrijving"), bestandsinhoud=d["inhoud"])


def _adres(a: Data) -> m.Adres:
    land = a.get("land")
    return m.Adres(
        soortadres=a["soort"],
        straat=a["straat"],
        nummer=a["huisnummer"],
        toevoeging=a.get("toevoeging"),
        postcode=a["postcode"],
        plaats=a["plaats"],
        gemeente=a.get("gemeente"),
        land=m.Land(code=land["code"], omschrijving=land.get("omschrijving")) if land else None,
    )


def _communicatie(c: Data) -> m.Communicatie:
    nummer = (PLACEHOLDER.get(c["soort"]) or c["nummer"]) if c.get("geheim") else c["nummer"]
    return m.Communicatie(
        soort=c["soort"],
        aanduiding=c.get("aanduiding"),
        nummer=nummer,
        geheim=c.get("geheim"),
        noodnummer=c.get("noodnummer"),
    )


def _contact(person: Data) -> dict[str, Any]:
    """Address and contact of a person or institution: no address at all when it is secret."""
    secret = bool(person.get("adres_geheim"))
    return {
        "adreslijst": () if secret else tuple(_adres(a) for a in person.get("adressen", ())),
        "communicatielijst": tuple(_communicatie(c) for c in person.get("communicatie", ())),
    }


def _personalia(p: Data) -> dict[str, Any]:
    """Category leerling; the birthplace and nationality the LAS holds never go out (OVa.LL10, LL11)."""
    return {
        "voornaam": tuple(p.get("voornamen", ())),
        "voorletters": p.get("voorletters"),
        "voorvoegsel": p.get("voorvoegsel"),
        "achternaam": p["achternaam"],
        "roepnaam": p.get("roepnaam"),
        "geboortedatum": _date(p["geboortedatum"]),
        "geslacht": p.get("geslacht"),
        "adresgeheim": p["adres_geheim"],
        **_contact(p),
        "adresbuitenland": () if p["adres_geheim"] else tuple(p.get("adres_buitenland", ())),
        "onderwijsnummer": p.get("onderwijsnummer"),
        "bsn": p.get("bsn"),
        "leerlingid": p.get("leerlingid"),
        "onderwijssinds": _date(p.get("onderwijs_sinds")),
        "datuminschrijving": _date(p.get("inschrijfdatum")),
    }


def _instelling(i: Data | None) -> m.Instelling | None:
    return m.Instelling(naam=i["naam"], **_contact(i)) if i else None


def _verzorger(p: Data) -> m.Verzorger:
    return m.Verzorger(
        voornaam=tuple(p.get("voornamen", ())),
        voorletters=p.get("voorletters"),
        voorvoegsel=p.get("voorvoegsel"),
        achternaam=p["achternaam"],
        geslacht=p.get("geslacht"),
        adresgeheim=p.get("adres_geheim"),
        **_contact(p),
        relatietotkind=p.get("relatie"),
        overleden=p.get("overleden"),
        overlijdensdatum=_date(p.get("overlijdensdatum")),
        wettigevertegenwoordiger=p["wettig_vertegenwoordiger"],
    )


def _advies(a: Data) -> m.Overstapadvies:
    return m.Overstapadvies(
        advies=a.get("advies"),
        wensouders=a.get("wens_ouders"),
        wensleerling=a.get("wens_leerling"),
        herzienadvies=a.get("herzien_advies"),
        motivatie_herzienadvies=a.get("motivatie_herzien_advies"),
        profiel=a.get("profiel"),
        argumentatie=a.get("argumentatie"),
        contactnodig=a.get("contact_nodig"),
        contactpersoon=a.get("contactpersoon"),
        contacttelefoon=a.get("contacttelefoon"),
        contactemail=a.get("contactemail"),
        aandachtspunten=a.get("aandachtspunten"),
    )


def _vve(v: Data) -> dict[str, Any]:
    voor = v.get("voorschools")
    return {
        "vanpeuterspeelzaal": v.get("peuterspeelzaal"),
        "naampeuterspeelzaal": v.get("naam_peuterspeelzaal"),
        "voorschools": m.Voorschools(codevoorschoolsprogramma=voor["programma"], voorschoolsemaanden=voor["maanden"])
        if voor
        else None,
        "vroegschools": tuple(
            m.Vroegschools(
                codevroegschoolsprogramma=x["programma"],
                vroegschoolsdatumingang=date.fromisoformat(x["ingang"]),
                vroegschoolseinddatum=_date(x.get("einde")),
            )
            for x in v.get("vroegschools", ())
        ),
    }


def _schooljaar(y: Data) -> m.Schoolloopbaan:
    return m.Schoolloopbaan(
        schooljaar=y["schooljaar"],
        groepscode=y["groepscode"],
        groepsnaam=y.get("groepsnaam"),
        jaargroep=y["jaargroep"],
        begindatum=_date(y.get("begindatum")),
        einddatum=_date(y.get("einddatum")),
        brincode=y["brin"],
        vestigingscode=y["vestiging"],
        schoolsoort=y.get("schoolsoort"),
    )


def _ondersteuning(s: Data, plans: list[Data]) -> m.Onderwijsondersteuning:
    """Two categories share the element: onderwijsondersteuning and handelingsplannen."""
    needs = s.get("onderwijsbehoeften")
    return m.Onderwijsondersteuning(
        toelichting_onderwijsbehoeften=m.ToelichtingOnderwijsbehoeften(document=_document(needs)) if needs else None,
        diagnose=tuple(
            m.Diagnose(
                code=tuple(d.get("codes", ())),
                naam=d.get("naam"),
                datum=_date(d.get("datum")),
                doorwie=d.get("door_wie"),
                instantie=d.get("instantie"),
                document=tuple(_document(x) for x in d.get("documenten", ())),
            )
            for d in s.get("diagnoses", ())
        ),
        medicijngebruik=s.get("medicijngebruik"),
        handelingsplan=tuple(
            m.Handelingsplan(
                startdatum=date.fromisoformat(p["startdatum"]),
                einddatum=_date(p.get("einddatum")),
                isgerichtop=p["gericht_op"],
                document=_document(p["document"]) if p.get("document") else None,
            )
            for p in plans
        ),
    )


def _verzuim(v: Data) -> m.Verzuim:
    return m.Verzuim(
        dagdelengeoorloofd=v.get("dagdelen_geoorloofd"),
        dagdelenongeoorloofd=v.get("dagdelen_ongeoorloofd"),
        urengeoorloofd=v.get("uren_geoorloofd"),
        urenongeoorloofd=v.get("uren_ongeoorloofd"),
        meerdan25percent=v.get("meer_dan_25_procent"),
        frequentie=v.get("frequentie"),
        contactleerplicht=v.get("contact_leerplicht"),
        rmcmelding=v.get("rmc_melding"),
        documentLijst=tuple(_document(x) for x in v.get("documenten", ())),
    )


def _eindtoets(e: Data) -> m.EindtoetsBasisonderwijs:
    r = e.get("resultaat")
    resultaat = None
    if r:
        resultaat = m.Eindtoetsresultaat(
            toetssoort=r["toetssoort"],
            toetsniveau=r["toetsniveau"],
            toetsomschrijving=r.get("omschrijving"),
            datum_afname=date.fromisoformat(r["afgenomen"]),
            wettelijke_ontheffing=r.get("ontheffing"),
            standaardscore=r.get("standaardscore"),
            toets_advies=r.get("advies"),
            onderdelen=m.EindtoetsOnderdelen(
                onderdeel=tuple(
                    m.EindtoetsOnderdeel(
                        onderdeelcode=o["code"],
                        onderdeelomschrijving=o.get("omschrijving"),
                        ond_referentieniveau=o.get("referentieniveau"),
                        domeinen=m.EindtoetsDomeinen(
                            domein=tuple(
                                m.EindtoetsDomein(
                                    domeincode=d["code"],
                                    domeinomschrijving=d.get("omschrijving"),
                                    dom_referentieniveau=d.get("referentieniveau"),
                                )
                                for d in o["domeinen"]
                            )
                        )
                        if o.get("domeinen")
                        else None,
                    )
                    for o in r.get("onderdelen", ())
                )
            ),
        )
    return m.EindtoetsBasisonderwijs(
        eindtoetsresultaat=resultaat,
        deelgenomen=e["deelgenomen"],
        document=tuple(_document(x) for x in e.get("documenten", ())),
    )


def _toets(x: Data) -> m.Toets:
    score = None
    if x.get("vaardigheidsscore") is not None or x.get("schaal"):
        score = m.Toetsscore(
            vaardigheidsscore=_decimal(x.get("vaardigheidsscore")), codevaardigheidsschaal=x.get("schaal")
        )
    return m.Toets(
        toetsidentificatie=m.Toetsidentificatie(
            eldtoetscode=x["code"], leergebied=x.get("leergebied"), toetsnaam=x.get("naam")
        ),
        afname=m.Afname(afnamedatum=date.fromisoformat(x["afgenomen"]), jaargroep=x.get("jaargroep")),
        resultaat=m.Resultaat(
            toetsscore=score,
            referentiescore=tuple(
                m.Referentiescore(
                    codereferentiescore=r["code"],
                    codevergelijkingsgroep=r["vergelijkingsgroep"],
                    waarde=r["waarde"],
                    kwalificatie=r.get("kwalificatie"),
                )
                for r in x.get("referentiescores", ())
            ),
            document=_document(x["rapport"]) if x.get("rapport") else None,
        ),
    )


def _cijferlijst(c: Data) -> m.Cijferlijst:
    def score(s: Data) -> m.Score:
        return m.Score(waarde=s.get("waarde"), kwalificatie=s.get("kwalificatie"))

    return m.Cijferlijst(
        cijferlijstTypelijst=m.CijferlijstTypelijst(
            groepen=tuple(
                m.Rapportgroep(
                    naam=r["naam"],
                    onderdeel=tuple(
                        m.CijferOnderdeel(
                            naam=o["vak"],
                            score=score(o),
                            afnamedatum=_date(o.get("afnamedatum")),
                            jaargroep=o.get("jaargroep"),
                            periode=o.get("periode"),
                        )
                        for o in r.get("cijfers", ())
                    ),
                    score=tuple(score(s) for s in r.get("eindoordelen", ())),
                )
                for r in c["rapporten"]
            )
        ),
        afnamedatum=_date(c.get("afnamedatum")),
        jaargroep=c["jaargroep"],
        periode=c.get("periode"),
    )


def _vombo(v: Data) -> dict[str, Any]:
    b = v.get("bevorderd")
    return {
        "bevorderd": m.Bevorderd(elementcode=b.get("elementcode"), leerjaar=b.get("leerjaar")) if b else None,
        "resultaatvakkenvo": tuple(
            m.ResultaatVakVo(
                vakcode=x["code"],
                vakleergebied=x.get("leergebied"),
                afgerond=x["afgerond"],
                examenvak=x["examenvak"],
                rapportcijfer=_decimal(x.get("rapportcijfer")),
            )
            for x in v.get("vakken", ())
        ),
    }


def _inzage(i: Data) -> m.Inzage:
    return m.Inzage(
        voorlopigdossier=i["voorlopig"],
        inzage=i["gezien"],
        inzagedatum=_date(i.get("datum")),
        akkoord=i.get("akkoord"),
        redennietakkoord=i.get("reden_niet_akkoord"),
        toestemming=i.get("toestemming"),
    )
