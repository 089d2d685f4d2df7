"""The hosted LASes' own records: what a school system keeps of the transfers it takes part in.

As bron: the documentRequests it served, the koppelsleutels it notified doelen with, and the
dossiers prepared (klaargezet) through the control API. As doel: the notifications and feedback it
received, what it imported per pupil and step, and every transfer it ran. This module is the one
owner of those ``las_*`` tables (their schema is the store's); the LAS, the admin and control APIs
and the pupil sources read and write them only through :class:`LasRecords`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oso import faults
from simulator.store import Store


@dataclass
class Transfer:
    """What one dossier request of the doel role came to."""

    doel_brin: str
    bron_brin: str
    pupil: str  # a pseudonymous key, never the PGN
    sessie_id: str | None = None
    resultaat: str = faults.INTERNE_FOUT
    per_aanleverpunt: list[tuple[str, str]] = field(default_factory=list)  # (routeringskenmerk, result)
    imported: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    linked_to_existing: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PreparedRow:
    """A dossier prepared through the control API: its pupil's keys and the versions as (prepared, xml)."""

    key: str
    school: str
    state: str
    versions: list[tuple[str, str]]


class LasRecords:
    def __init__(self, store: Store) -> None:
        self._db = store.db
        self._store = store

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes that commit together (or join the exchange being handled): see :meth:`Store.transaction`."""
        with self._store.transaction():
            yield

    # --- bron ----------------------------------------------------------------------------------------

    def served(
        self, sessie_id: str, bron_rk: str, doel_brin: str, doel_rk: str, pupil: str, resultaat: str, at: datetime
    ) -> None:
        self._db.execute(
            "INSERT INTO las_requests (sessie_id, bron_rk, doel_brin, doel_rk, pupil, resultaat, at) "
            "VALUES (?,?,?,?,?,?,?)",
            (sessie_id.lower(), bron_rk, doel_brin, doel_rk, pupil, resultaat, at.isoformat()),
        )

    def served_in(self, sessie_id: str) -> int:
        """How many documentRequests of this session were answered with a dossier."""
        return self._count("SELECT count(*) FROM las_requests WHERE sessie_id = ?", sessie_id.lower())

    def notified(self, koppelsleutel: str, pupil: str, at: datetime) -> None:
        self._db.execute("INSERT INTO las_notified VALUES (?,?,?)", (koppelsleutel.lower(), pupil, at.isoformat()))

    def notified_pupil(self, koppelsleutel: str) -> str | None:
        """The pupil a doel was notified about with this koppelsleutel."""
        row = self._db.execute("SELECT pupil FROM las_notified WHERE koppelsleutel = ?", (koppelsleutel,)).fetchone()
        return str(row["pupil"]) if row else None

    def prepare(self, row: PreparedRow, zoeksleutel: str, pgnfrag: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO las_prepared VALUES (?,?,?,?,?,?)",
            (row.key, row.school, zoeksleutel, pgnfrag, row.state, json.dumps(row.versions, ensure_ascii=False)),
        )

    def prepared(self, key: str) -> PreparedRow | None:
        row = self._db.execute("SELECT * FROM las_prepared WHERE key = ?", (key,)).fetchone()
        return _prepared(row) if row else None

    def prepared_at(
        self, school: str, *, zoeksleutel: str | None = None, pgnfrag: str | None = None
    ) -> list[PreparedRow]:
        """The dossiers prepared at ``school`` for a pupil of this zoeksleutel (or pgnfrag, which may match several)."""
        column, value = ("zoeksleutel", zoeksleutel) if zoeksleutel is not None else ("pgnfrag", pgnfrag)
        rows = self._db.execute(f"SELECT * FROM las_prepared WHERE school = ? AND {column} = ?", (school, value))
        return [_prepared(r) for r in rows]

    def prepared_keys(self, school: str) -> list[str]:
        """The keys of the pupils prepared at ``school``, in the order they were prepared."""
        return [
            r["key"]
            for r in self._db.execute("SELECT key FROM las_prepared WHERE school = ? ORDER BY rowid", (school,))
        ]

    def withdraw_prepared(self) -> None:
        self._db.execute("DELETE FROM las_prepared")

    # --- doel ----------------------------------------------------------------------------------------

    def received(
        self, kind: str, koppelsleutel: str, bron_brin: str, doel_rk: str, at: datetime, body: bytes | None = None
    ) -> None:
        """A notificatie or terugkoppeling that came in."""
        self._db.execute(
            "INSERT INTO las_inbox (kind, koppelsleutel, bron_brin, doel_rk, received, body) VALUES (?,?,?,?,?,?)",
            (kind, koppelsleutel.lower(), bron_brin, doel_rk, at.isoformat(), body),
        )

    def was_notified(self, koppelsleutel: str) -> bool:
        return (
            self._count(
                "SELECT count(*) FROM las_inbox WHERE kind = 'notificatie' AND koppelsleutel = ?", koppelsleutel.lower()
            )
            > 0
        )

    def inbox(self, limit: int = 1000) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT id, kind, koppelsleutel, bron_brin, doel_rk, received FROM las_inbox ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [dict(r) for r in rows]

    def import_step(self, doel_brin: str, pupil: str, step: str, dossier_datum: str, at: str, data: str) -> None:
        """One import step; the same pupil and step again updates it (and counts the time)."""
        self._db.execute(
            "INSERT INTO las_imports VALUES (?,?,?,?,?,?,1,?) ON CONFLICT(doel_brin, pupil, step) DO UPDATE SET "
            "dossier_datum = excluded.dossier_datum, updated = excluded.updated, times = times + 1, "
            "data = excluded.data",
            (doel_brin, pupil, step, dossier_datum, at, at, data),
        )

    def imported_before(self, doel_brin: str, pupil: str) -> bool:
        return self._count("SELECT count(*) FROM las_imports WHERE doel_brin = ? AND pupil = ?", doel_brin, pupil) > 0

    def first_imported(self, doel_brin: str, pupil: str) -> datetime | None:
        """When the pupil's dossier was imported first (the dossierVerzameldatum of a re-request)."""
        row = self._db.execute(
            "SELECT min(updated) FROM las_imports WHERE doel_brin = ? AND pupil = ?", (doel_brin, pupil)
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def imports(self, doel_brin: str | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
        where, args = ("WHERE doel_brin = ?", [doel_brin]) if doel_brin else ("", [])
        rows = self._db.execute(
            f"SELECT * FROM las_imports {where} ORDER BY doel_brin, pupil, step LIMIT ?", (*args, limit)
        )
        return [dict(r) | {"data": json.loads(r["data"])} for r in rows]

    def imports_like(self, doel_brin: str, pupil_prefix: str) -> tuple[int, dict[str, dict[str, Any]]]:
        """(how many pupil records, the steps) imported at ``doel_brin`` for pupil keys starting with the prefix."""
        like = (doel_brin, pupil_prefix + "%")
        rows = self._db.execute(
            "SELECT step, times, dossier_datum, updated FROM las_imports WHERE doel_brin = ? AND pupil LIKE ?", like
        )
        steps = {
            r["step"]: {"times": r["times"], "dossier_datum": r["dossier_datum"], "updated": r["updated"]} for r in rows
        }
        records = self._count(
            "SELECT count(DISTINCT pupil) FROM las_imports WHERE doel_brin = ? AND pupil LIKE ?", *like
        )
        return records, steps

    def forget_imports(self, doel_brins: tuple[str, ...]) -> None:
        marks = ",".join("?" * len(doel_brins))
        self._db.execute(f"DELETE FROM las_imports WHERE doel_brin IN ({marks})", doel_brins)

    def log_transfer(self, transfer: Transfer, at: datetime) -> None:
        self._db.execute(
            "INSERT INTO las_transfers (doel_brin, bron_brin, pupil, sessie_id, resultaat, at, details) "
            "VALUES (?,?,?,?,?,?,?)",
            (
                transfer.doel_brin,
                transfer.bron_brin,
                transfer.pupil,
                transfer.sessie_id,
                transfer.resultaat,
                at.isoformat(),
                json.dumps(transfer.as_dict()),
            ),
        )

    def transfers(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest transfers, newest first, as :meth:`Transfer.as_dict` gave them."""
        rows = self._db.execute("SELECT details FROM las_transfers ORDER BY id DESC LIMIT ?", (limit,))
        return [json.loads(r[0]) for r in rows]

    def transfer_page(self, *, offset: int = 0, limit: int = 50) -> tuple[int, list[dict[str, Any]]]:
        """How many transfers there are, and one page of them, newest first (refused ones, without a
        session, too), each with its row's id and time."""
        rows = self._db.execute(
            "SELECT id, at, details FROM las_transfers ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
        )
        page = [json.loads(r["details"]) | {"id": r["id"], "at": r["at"]} for r in rows]
        return self._count("SELECT count(*) FROM las_transfers"), page

    def counts(self) -> dict[str, Any]:
        """For the admin statistics: imports, transfers and their results, pupils imported."""
        return {
            "imports": self._count("SELECT count(*) FROM las_imports"),
            "transfers": self._count("SELECT count(*) FROM las_transfers"),
            "transfer_results": {
                r[0]: r[1] for r in self._db.execute("SELECT resultaat, count(*) FROM las_transfers GROUP BY resultaat")
            },
            "imported_pupils": self._count("SELECT count(*) FROM (SELECT DISTINCT doel_brin, pupil FROM las_imports)"),
        }

    def _count(self, sql: str, *args: object) -> int:
        return int(self._db.execute(sql, args).fetchone()[0])


def _prepared(row: sqlite3.Row) -> PreparedRow:
    versions = [(str(at), str(xml)) for at, xml in json.loads(row["versions"])]
    return PreparedRow(row["key"], row["school"], row["state"], versions)
