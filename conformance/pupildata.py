"""The pupils the suite prepares in a LAS as bron, made from the fixtures generator's dossiers.

A LAS is given each pupil in one of two ways (the run's ``--prepare``):

* **export** (the default): neutral pupil data (``POST /control/pupils``, ``pupil.schema.json``),
  which the LAS maps into its own data model; its own export (klaarzetten) then makes the dossier,
  and the suite compares that dossier field by field with the data (:mod:`conformance.compare`).
* **passthrough**: the generator's dossier XML itself (``POST /control/dossiers``), which the LAS
  only stores and serves: the vendor's export is not tested.

The data is what a LAS *holds*, which is more than a dossier may carry, so that an export that gets
the rules wrong shows it: every pupil has a birthplace and a nationality (never in an
overstapdossier), a POVO pupil still has the vve data of its peuterspeelzaal (forbidden in POVO),
an opt-out pupil has data in every optional category the school leaves out, and a pupil with a
secret address has that address and its secret numbers held in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conformance import compare
from fixtures.generator import Pupil, Request, Size, Traits, build
from oso import codec
from oso import dossier as m
from oso.profiles import Profile, optional_categories

OVERSTAPDOSSIER = "overstapdossier"
NATIONALITEIT = {"code": "0001", "omschrijving": "Nederlandse"}


@dataclass(frozen=True)
class Version:
    """One version of a pupil's dossier as the suite prepares it: when, and what the LAS is given."""

    prepared: datetime  # the moment the school prepared (klaargezet) it; never after the LAS's now
    data: dict[str, Any]  # export mode: the pupil data
    xml: str  # passthrough mode: the dossier

    @property
    def pgn(self) -> str:
        return pgn_of(self.data)


def pgn_of(data: dict[str, Any]) -> str:
    personalia = data["personalia"]
    return str(personalia.get("bsn") or personalia["onderwijsnummer"])


def version(
    profile: Profile,
    index: int,
    *,
    seed: int,
    school_year: int,
    bron_brin: str,
    prepared: datetime,
    size: Size = Size.OPT_OUT,
    traits: Traits | None = None,
    after_eindtoets: bool = False,
    secret: bool = False,
    seen: bool = True,
) -> Version:
    """The index-th pupil of a profile at the LAS's bron school, prepared at ``prepared``.

    ``size`` is the school's choice of optional categories (full: all delivered; opt-out: none),
    ``secret`` gives the pupil and a carer a secret address and secret numbers, ``seen`` False is a
    dossier the parents have not seen.
    """
    traits = traits or Traits()

    def generated(size: Size) -> tuple[m.Dossier, Pupil]:
        d, pupil = build(Request(profile, seed, size, school_year, after_eindtoets, traits), index)
        return m.edit(d, "metadata", datum=prepared.date()), pupil

    full, held = generated(Size.FULL)
    data: dict[str, Any] = {
        **({} if profile.overdrachtsoort == OVERSTAPDOSSIER else {"overdrachtsoort": profile.overdrachtsoort}),
        "overstap": full.metadata.overstap,
        "deliver": sorted(c.label for c in optional_categories(profile)) if size is Size.FULL else [],
        **compare.read(codec.to_text(full, "dossier")),
    }
    for year in data["schoolloopbaan"]:  # the school career at this school is at the LAS's own school
        if year["brin"] == full.huidigeschool.brincode:
            year["brin"] = bron_brin
    personalia = data["personalia"]
    personalia["geboorteplaats"] = held.place
    personalia["nationaliteiten"] = [NATIONALITEIT]
    if profile.is_swv:  # the LAS holds the pupil number its swv-dossier leaves out (PaO.LL12)
        personalia[held.pgn_kind.value] = held.pgn
    if profile in (Profile.POVO, Profile.VOSWV):
        data["vve"] = _peuterspeelzaal(personalia["geboortedatum"])
    if secret:
        _make_secret(personalia)
        if data["verzorgers"].get("personen"):
            _make_secret(data["verzorgers"]["personen"][0])
    if not seen:
        data["inzage"] = {"voorlopig": False, "gezien": False}
    return Version(prepared, data, codec.to_text(generated(size)[0], "dossier"))


def _peuterspeelzaal(born: str) -> dict[str, Any]:
    year = int(born[:4])
    return {
        "peuterspeelzaal": True,
        "naam_peuterspeelzaal": "Peuterspeelzaal De Boomgaard",
        "voorschools": {"programma": 3, "maanden": 18},
        "vroegschools": [{"programma": 3, "ingang": f"{year + 4}{born[4:]}"}],
    }


def _make_secret(person: dict[str, Any]) -> None:
    """The address becomes secret and every number with it; the LAS still holds them in clear."""
    person["adres_geheim"] = True
    for c in person.get("communicatie", ()):
        c["geheim"] = True
