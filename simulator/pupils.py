"""The pupils a LAS holds as bron: where it finds a pupil and the versions of its dossier.

Two sources. The counterpart schools' reference LAS holds the :class:`Catalogue`: scripted test
pupils and a generated cohort. The vendor-under-test slot of the simulator (used to run the
conformance suite against the reference LAS or a mutant) holds :class:`Prepared`: dossiers the
suite prepared (klaargezet) through the control API, as it would ask a vendor's LAS to.

Catalogue dossiers are never stored: each is regenerated from (profile, seed, index, size, case) when asked
for, which is what lets the simulator serve a national cohort of 185,000 pupils from a few MB.
The catalogue keeps only an index from zoeksleutel (and pgnfrag) to pupil.

A pupil's dossier has one or two versions: the one prepared first and, for scripted pupils with
``versions = 2``, the updated dossier after the eindtoets. The first is available from the start;
a later version once the simulator's clock passes the date it was prepared: its dossier's own date,
or the moment the admin API gave (:meth:`Catalogue.redate`), so that a run can date the update after
what a LAS under test did on its own clock.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, timezone
from typing import Protocol

from fixtures.cohort import generate
from fixtures.generator import Request, Size, pupil_number, school_of
from oso import codec
from oso import dossier as m
from oso.identifiers import PupilNumberKind
from oso.profiles import PROFILE_CATEGORIES, Profile, Uitlevering
from oso.zoeksleutel import Scheme
from simulator.records import LasRecords, PreparedRow
from simulator.register import ANOTHER_KIND, ANOTHER_PUPIL, Scenario, ScenarioError, ScriptedPupil

SCRIPTED_BASE = 190_000  # scripted pupils use indexes above any cohort (185,000 per profile at most)
LOCAL = timezone(timedelta(hours=1))  # Dutch winter time: dossiers are prepared at 10:00 local


@dataclass(frozen=True)
class Pupil:
    key: str  # "povo/17" for cohort pupils, the label for scripted ones, "prepared/<school>/<n>"
    profile: Profile | None
    index: int
    pgn: str
    pgn_kind: PupilNumberKind
    school: str  # BRIN of the bron school
    size: Size = Size.OPT_OUT
    case: str | None = None
    state: str = "ready"
    versions: int = 1
    invalid: bool = False
    prepared: datetime | None = None
    label: str | None = None
    updated: datetime | None = None  # when the later version was prepared (None: its dossier's own date)
    mistake: str | None = None  # what the counterpart bron is scripted to serve instead (register.MISTAKES)


@dataclass(frozen=True)
class Version:
    number: int
    prepared: datetime
    xml: str  # the dossier element, as the LAS would send it


class PupilSource(Protocol):
    def find(self, kind: str, value: str, school: str) -> list[Pupil]: ...

    def get(self, key: str) -> Pupil | None: ...

    def versions(self, pupil: Pupil) -> list[Version]: ...


class Catalogue:
    def __init__(self, scenario: Scenario, scheme: Scheme) -> None:
        self.seed = scenario.settings.seed
        self.scheme = scheme
        self.by_key: dict[str, Pupil] = {}
        self.by_zoeksleutel: dict[str, str] = {}
        self.by_pgnfrag: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.schools = set(scenario.register.schools)
        self.cohort: dict[Profile, list[str]] = {}  # the generated pupils' keys per profile, in index order
        # A pupil belongs to the school the generator puts it in; only schools in the register count,
        # so with fewer regions some indexes are skipped (deterministically).
        for profile, count in scenario.settings.cohort.items():
            index = added = 0
            while added < count:
                pupil = self._pupil(f"{profile.value}/{index}", profile, index)
                if pupil.school in self.schools:
                    self._add(pupil)
                    self.cohort.setdefault(profile, []).append(pupil.key)
                    added += 1
                index += 1
                if index >= SCRIPTED_BASE:
                    raise ScenarioError(
                        f"a {profile.value} cohort of {count} needs more schools than the register has "
                        f"(found {added} pupils in the first {SCRIPTED_BASE} indexes)"
                    )
        for n, scripted in enumerate(scenario.pupils):
            pupil = self._scripted(scripted, n)
            self._add(
                replace(
                    pupil,
                    size=scripted.size,
                    case=scripted.case,
                    state=scripted.state,
                    versions=scripted.versions,
                    invalid=scripted.invalid,
                    prepared=scripted.prepared,
                    updated=scripted.updated,
                    label=scripted.label,
                    mistake=scripted.mistake,
                )
            )

    def _scripted(self, scripted: ScriptedPupil, n: int) -> Pupil:
        """The n-th scripted pupil, at a school of the register: the first of 200 indexes of its own that
        lands there, or (``beside``) the next index at that earlier pupil's school."""
        taken = {p.index for p in self.by_key.values()}
        if scripted.beside is not None:
            other = self.by_key[scripted.beside]
            indexes = self._next_at_school(scripted.profile, other.index, other.school)
            wanted = other.school
        else:
            indexes = iter(range(SCRIPTED_BASE + 200 * n, SCRIPTED_BASE + 200 * (n + 1), 25))  # 25 a school
            wanted = None
        for index in indexes:
            pupil = self._pupil(scripted.label, scripted.profile, index, scripted.case)
            if index not in taken and pupil.school in self.schools and wanted in (None, pupil.school):
                return pupil
        why = f"school {wanted} has no more room" if wanted else "no school of the register takes"
        raise ScenarioError(f"pupil {scripted.label}: {why} a {scripted.profile} pupil")

    def _pupil(self, key: str, profile: Profile, index: int, case: str | None = None) -> Pupil:
        pgn, kind = pupil_number(self.seed, profile, index, force_onderwijsnummer=case == "onderwijsnummer")
        school = school_of(Request(profile=profile, seed=self.seed), index).brin
        return Pupil(key, profile, index, pgn, kind, school)

    def _add(self, pupil: Pupil) -> None:
        self.by_key[pupil.key] = pupil
        self.by_zoeksleutel[self.scheme.zoeksleutel(pupil.pgn)] = pupil.key
        self.by_pgnfrag[(pupil.school, self.scheme.pgnfrag(pupil.pgn))].append(pupil.key)

    def __len__(self) -> int:
        return len(self.by_key)

    def get(self, key: str) -> Pupil | None:
        return self.by_key.get(key)

    def redate(self, key: str, *, prepared: datetime | None = None, updated: datetime | None = None) -> Pupil:
        """The scripted pupil's first version was prepared at ``prepared``, its later version (after the
        eindtoets) at ``updated``, for as long as this simulator runs (a scenario's dates come back on
        restart). None leaves a date as it was."""
        old = self.by_key[key]
        pupil = self.by_key[key] = replace(old, prepared=prepared or old.prepared, updated=updated or old.updated)
        return pupil

    def find(self, kind: str, value: str, school: str) -> list[Pupil]:
        """The pupils of ``school`` a zoeksleutel or pgnfrag points at (a pgnfrag may match several)."""
        if kind == "zoeksleutel":
            key = self.by_zoeksleutel.get(value)
            return [self.by_key[key]] if key and self.by_key[key].school == school else []
        if kind == "pgnfrag":
            return [self.by_key[k] for k in self.by_pgnfrag.get((school, value), [])]
        return []

    def served_index(self, pupil: Pupil) -> int:
        """Whose dossier the pupil's bron serves: its own, or for the mistake another-pupil that of the next pupil
        the generator puts in the same school."""
        if pupil.mistake != ANOTHER_PUPIL or pupil.profile is None:
            return pupil.index
        return next(self._next_at_school(pupil.profile, pupil.index, pupil.school))

    def _next_at_school(self, profile: Profile, index: int, school: str) -> Iterator[int]:
        """The indexes after ``index`` (within its 200) whose dossier the generator puts at ``school``."""
        request = Request(profile=profile, seed=self.seed)
        return (i for i in range(index + 1, index + 200) if school_of(request, i).brin == school)

    def served_pgn(self, pupil: Pupil) -> str | None:
        """The pupil number of the dossier served instead of the pupil's own (the mistake another-pupil)."""
        if pupil.profile is None or pupil.mistake != ANOTHER_PUPIL:
            return None
        return pupil_number(self.seed, pupil.profile, self.served_index(pupil))[0]

    def versions(self, pupil: Pupil) -> list[Version]:
        """Every version of the pupil's dossier, oldest first (availability is the caller's call)."""
        assert pupil.profile is not None, "a generated pupil"  # a prepared pupil's versions are stored
        out = []
        for number in range(1, pupil.versions + 1):
            item = next(
                generate(
                    pupil.profile,
                    1,
                    seed=self.seed,
                    start=self.served_index(pupil),
                    size=pupil.size,
                    case=pupil.case,
                    after_eindtoets=number > 1,
                )
            )
            dossier = broken(item.dossier) if pupil.invalid else item.dossier
            if pupil.mistake == ANOTHER_KIND:
                dossier = relabelled(dossier, Profile.BINNENBRIN)
            given = pupil.prepared if number == 1 else pupil.updated
            if given:  # the dossier's own date is the day it was prepared (a doel may ask relative to it)
                dossier = m.edit(dossier, "metadata", datum=given.astimezone(LOCAL).date())
            prepared = given or datetime.combine(dossier.metadata.datum, time(10, 0), LOCAL)
            out.append(Version(number, prepared, codec.to_text(dossier, "dossier")))
        return out


class Prepared:
    """Dossiers prepared through the control API, kept in the LAS's own records."""

    def __init__(self, records: LasRecords, scheme: Scheme) -> None:
        self.records, self.scheme = records, scheme

    def prepare(self, school: str, pgn: str, state: str, versions: list[tuple[datetime, str]]) -> Pupil:
        key = f"prepared/{school}/{hashlib.sha256(pgn.encode()).hexdigest()[:16]}"
        row = PreparedRow(key, school, state, [(prepared.isoformat(), xml) for prepared, xml in versions])
        self.records.prepare(row, self.scheme.zoeksleutel(pgn), self.scheme.pgnfrag(pgn))
        return _pupil(row)

    def withdraw_all(self) -> None:
        self.records.withdraw_prepared()

    def find(self, kind: str, value: str, school: str) -> list[Pupil]:
        if kind == "zoeksleutel":
            return [_pupil(r) for r in self.records.prepared_at(school, zoeksleutel=value)]
        if kind == "pgnfrag":
            return [_pupil(r) for r in self.records.prepared_at(school, pgnfrag=value)]
        return []

    def get(self, key: str) -> Pupil | None:
        row = self.records.prepared(key)
        return _pupil(row) if row else None

    def versions(self, pupil: Pupil) -> list[Version]:
        row = self.records.prepared(pupil.key)
        stored = row.versions if row else []
        return [Version(n, datetime.fromisoformat(at), xml) for n, (at, xml) in enumerate(stored, start=1)]


def _pupil(row: PreparedRow) -> Pupil:
    return Pupil(row.key, None, 0, "", PupilNumberKind.BSN, row.school, state=row.state, versions=len(row.versions))


def relabelled(d: m.Dossier, profile: Profile) -> m.Dossier:
    """The dossier as a valid one of another profile's kind: its overdrachtsoort, and each category declared as
    that profile's table says (an optional one OPTIONEEL when the dossier delivered it, else OPT-UIT)."""
    declared = d.metadata.categorie_uitlevering
    table = {}
    for category, u in PROFILE_CATEGORIES[profile].items():
        delivered = getattr(declared, category.value) in (Uitlevering.VERPLICHT, Uitlevering.OPTIONEEL)
        if u is Uitlevering.OPTIONEEL and not delivered:
            u = Uitlevering.OPT_UIT
        table[category.value] = u.value
    d = m.edit(d, "metadata", categorie_uitlevering=m.CategorieUitlevering(**table))
    return m.edit(d, overdrachtsoort=profile.overdrachtsoort)


def broken(d: m.Dossier) -> m.Dossier:
    """An old dossier as an outdated LAS would have kept it: older standard, no inzage, no school career."""
    return m.edit(
        m.edit(
            m.edit(d, "metadata", standaardversie="2016.1", validatieversie="2016.1.1"),
            "huidigeschool.leerling",
            schoolloopbaanlijst=(),
        ),
        inzage=None,
    )
