"""The simulator's durable state: SQLite in WAL mode under ``--data-dir``.

Everything one exchange changes (the session, the reference LAS's records, the evidence of the
message in and the answer out) is written in one transaction that commits before the answer is
sent, so an acknowledged message survives a ``kill -9`` and no transfer is ever half-written.
``synchronous=NORMAL`` makes a commit durable against a crashed process; ``fsync=True``
(``synchronous=FULL``) also against a crashed machine, at the cost of one fsync per message.

The store keeps nothing in memory beyond SQLite's page cache, so the evidence log stays bounded in
memory however long the simulator runs.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from oso.identifiers import mask_pgn, pupil_number_kind
from oso.session import Claim, Session, State

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    sessie_id TEXT PRIMARY KEY, state TEXT NOT NULL, overdrachtsoort TEXT NOT NULL,
    bron_brin TEXT NOT NULL, doel_brin TEXT NOT NULL, doel_rk TEXT NOT NULL, bron_rk TEXT,
    sleutel TEXT NOT NULL, specific_ap INTEGER NOT NULL, created TEXT NOT NULL, last_seen TEXT NOT NULL,
    controles INTEGER NOT NULL, resultaat TEXT, closed TEXT);
CREATE INDEX IF NOT EXISTS sessions_created ON sessions(created);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, exchange INTEGER, at TEXT NOT NULL, direction TEXT NOT NULL,
    endpoint TEXT NOT NULL, operation TEXT, peer TEXT, vendor TEXT, sessie_id TEXT,
    http_status INTEGER, fault TEXT, validation TEXT, duration_ms REAL, headers TEXT, body BLOB, size INTEGER);
CREATE INDEX IF NOT EXISTS messages_session ON messages(sessie_id);
CREATE INDEX IF NOT EXISTS messages_exchange ON messages(exchange);
CREATE TABLE IF NOT EXISTS koppelsleutels (
    koppelsleutel TEXT PRIMARY KEY, kind TEXT NOT NULL, bron_brin TEXT NOT NULL, bron_rk TEXT NOT NULL,
    doel_brin TEXT NOT NULL, doel_rk TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS las_requests (
    id INTEGER PRIMARY KEY, sessie_id TEXT NOT NULL, bron_rk TEXT NOT NULL, doel_brin TEXT NOT NULL,
    doel_rk TEXT NOT NULL, pupil TEXT NOT NULL, resultaat TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS las_inbox (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, koppelsleutel TEXT, bron_brin TEXT, doel_rk TEXT NOT NULL,
    received TEXT NOT NULL, body BLOB);
CREATE TABLE IF NOT EXISTS las_imports (
    doel_brin TEXT NOT NULL, pupil TEXT NOT NULL, step TEXT NOT NULL, dossier_datum TEXT NOT NULL,
    imported TEXT NOT NULL, updated TEXT NOT NULL, times INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (doel_brin, pupil, step));
CREATE TABLE IF NOT EXISTS las_notified (
    koppelsleutel TEXT PRIMARY KEY, pupil TEXT NOT NULL, sent TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS las_prepared (
    key TEXT PRIMARY KEY, school TEXT NOT NULL, zoeksleutel TEXT NOT NULL, pgnfrag TEXT NOT NULL,
    state TEXT NOT NULL, versions TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS las_prepared_zoeksleutel ON las_prepared(school, zoeksleutel);
CREATE TABLE IF NOT EXISTS las_transfers (
    id INTEGER PRIMARY KEY, doel_brin TEXT NOT NULL, bron_brin TEXT NOT NULL, pupil TEXT, sessie_id TEXT,
    resultaat TEXT NOT NULL, at TEXT NOT NULL, details TEXT NOT NULL);
"""

_TABLES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA))
_NINE_DIGITS = re.compile(rb"(?<!\d)\d{9}(?!\d)")


def mask_pgns(body: bytes) -> bytes:
    """Every valid BSN or onderwijsnummer in ``body`` masked to its last two digits."""

    def mask(match: re.Match[bytes]) -> bytes:
        number = match.group().decode()
        return mask_pgn(number).encode() if pupil_number_kind(number) else match.group()

    return _NINE_DIGITS.sub(mask, body)


@dataclass(frozen=True)
class Message:
    """One message of the evidence log: a request or answer, in or out."""

    direction: str  # in | out (seen from the simulator) | internal (in-process TC call)
    endpoint: str  # /tc, /schools/<rk>, or the URL called
    operation: str | None
    at: datetime
    peer: str | None = None
    vendor: str | None = None
    sessie_id: str | None = None
    http_status: int | None = None
    fault: str | None = None
    validation: str | None = None  # "ok" or what failed
    duration_ms: float | None = None
    headers: dict[str, str] | None = None
    body: bytes = b""


class Store:
    def __init__(self, path: Path, *, fsync: bool = False, evidence_bodies: int = 1, show_pgn: bool = False) -> None:
        """``evidence_bodies``: keep the body of every Nth exchange (1 = all, 0 = none)."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.executescript(SCHEMA)
        self.evidence_bodies = evidence_bodies
        self.show_pgn = show_pgn
        self._depth = 0  # how many transaction()/group() blocks are open now
        self._open = False  # a transaction is open (possibly a group waiting for its commit)
        self._waiters: list[asyncio.Future[None]] = []
        self._exchanges = 0
        self._next_id: int | None = None

    def close(self) -> None:
        if self._open:
            self._commit()
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes inside commit together when the block ends; inside an open transaction it joins it
        (and then commits with it: the outer block, or the group commit, decides)."""
        if self._open:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._open, self._depth = True, 1
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        finally:
            self._depth = 0
        self._commit()

    @contextmanager
    def group(self) -> Iterator[None]:
        """The writes of one exchange of an async handler, committed by the next group commit.

        Concurrent exchanges share one commit (one WAL write for all of them); each handler then
        awaits :meth:`flush` before it answers, so nothing is acknowledged before it is durable.
        """
        if not self._open:
            self.db.execute("BEGIN IMMEDIATE")
            self._open = True
            asyncio.get_running_loop().call_soon(self._commit)
        if self._depth:  # inside another exchange's block: part of it
            yield
            return
        with self._savepoint():  # so a failing exchange undoes only its own writes
            yield

    async def flush(self) -> None:
        """Wait until everything written so far is committed."""
        if self._open:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        name = f"s{self._depth}"
        self.db.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self.db.execute(f"ROLLBACK TO {name}")
            self.db.execute(f"RELEASE {name}")
            self._next_id = None
            raise
        finally:
            self._depth -= 1
        self.db.execute(f"RELEASE {name}")

    def _commit(self) -> None:
        if not self._open:
            return
        waiters, self._waiters = self._waiters, []
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            for w in waiters:
                if not w.done():
                    w.set_exception(exc)
            return
        self._open = False
        for w in waiters:
            if not w.done():
                w.set_result(None)

    def _rollback(self) -> None:
        self.db.execute("ROLLBACK")
        self._open = False
        self._next_id = None  # ids handed out in the rolled-back transaction are free again

    # --- meta ------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # --- sessions --------------------------------------------------------------------------------

    def put_session(self, s: Session) -> None:
        g = s.granted
        self.db.execute(
            "INSERT OR REPLACE INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                s.sessie_id,
                s.state.value,
                g.overdrachtsoort,
                g.bron_brin,
                g.doel_brin,
                g.doel_rk,
                g.bron_rk,
                g.sleutel,
                int(s.specific_ap),
                s.created.isoformat(),
                s.last_seen.isoformat(),
                s.controles,
                s.resultaat,
                s.closed.isoformat() if s.closed else None,
            ),
        )

    def get_session(self, sessie_id: str) -> Session | None:
        row = self.db.execute("SELECT * FROM sessions WHERE sessie_id = ?", (sessie_id.lower(),)).fetchone()
        return _session(row) if row else None

    def sessions(self, *, limit: int = 100, offset: int = 0, state: str | None = None) -> list[Session]:
        where, args = ("WHERE state = ?", [state]) if state else ("", [])
        rows = self.db.execute(
            f"SELECT * FROM sessions {where} ORDER BY created DESC, sessie_id LIMIT ? OFFSET ?", (*args, limit, offset)
        )
        return [_session(r) for r in rows]

    def expire_sessions(self, idle_since: datetime, states: tuple[State, ...], to: State) -> int:
        """Move sessions in ``states`` last seen before ``idle_since`` to ``to``; returns how many."""
        marks = ",".join("?" * len(states))
        return self.db.execute(
            f"UPDATE sessions SET state = ? WHERE state IN ({marks}) AND last_seen < ?",
            (to.value, *(s.value for s in states), idle_since.isoformat()),
        ).rowcount

    def session_counts(self) -> dict[str, dict[str, int]]:
        """Sessions per state and per resultaat (of those that have one)."""
        states = {r[0]: r[1] for r in self.db.execute("SELECT state, count(*) FROM sessions GROUP BY state")}
        results = {
            r[0]: r[1]
            for r in self.db.execute(
                "SELECT resultaat, count(*) FROM sessions WHERE resultaat IS NOT NULL GROUP BY resultaat"
            )
        }
        return {"states": states, "resultaten": results}

    def count(self, table: str) -> int:
        """The rows of one of the store's tables."""
        if table not in _TABLES:
            raise ValueError(f"no table {table!r} in the store")
        return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    # --- evidence ---------------------------------------------------------------------------------

    def add_exchange(self, *messages: Message) -> int:
        """Record the messages of one exchange (a request and its answer); returns the exchange id.

        Ids are assigned here (one writer), so the exchange id, the id of its first message, goes in
        with the rows in one statement.
        """
        self._exchanges += 1
        keep_body = self.evidence_bodies and self._exchanges % self.evidence_bodies == 0
        if self._next_id is None:
            self._next_id = (self.db.execute("SELECT max(id) FROM messages").fetchone()[0] or 0) + 1
        exchange = self._next_id
        rows = []
        for offset, m in enumerate(messages):
            body = (m.body if self.show_pgn else mask_pgns(m.body)) if keep_body else None
            rows.append(
                (
                    exchange + offset,
                    exchange,
                    m.at.isoformat(),
                    m.direction,
                    m.endpoint,
                    m.operation,
                    m.peer,
                    m.vendor,
                    m.sessie_id.lower() if m.sessie_id else None,
                    m.http_status,
                    m.fault,
                    m.validation,
                    m.duration_ms,
                    json.dumps(m.headers) if m.headers else None,
                    body,
                    len(m.body),
                )
            )
        self.db.executemany("INSERT INTO messages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        self._next_id = exchange + len(rows)
        return exchange

    def messages(
        self,
        *,
        sessie_id: str | None = None,
        operation: str | None = None,
        fault: str | None = None,
        after: int = 0,
        limit: int = 100,
        with_body: bool = False,
    ) -> list[dict[str, Any]]:
        clauses, args = ["id > ?"], [after]
        for column, value in (
            ("sessie_id", sessie_id and sessie_id.lower()),
            ("operation", operation),
            ("fault", fault),
        ):
            if value:
                clauses.append(f"{column} = ?")
                args.append(value)
        columns = (
            "*"
            if with_body
            else "id, exchange, at, direction, endpoint, operation, peer, vendor, sessie_id, "
            "http_status, fault, validation, duration_ms, headers, size"
        )
        rows = self.db.execute(
            f"SELECT {columns} FROM messages WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?", (*args, limit)
        )
        return [_message_dict(r) for r in rows]

    def fault_counts(self) -> dict[str, int]:
        """The faults the simulator gave (or the fault profile caused), per code: answers and dropped messages."""
        rows = self.db.execute(
            "SELECT fault, count(*) FROM messages WHERE fault IS NOT NULL AND direction != 'in' GROUP BY fault"
        )
        return {r[0]: r[1] for r in rows}

    def message(self, message_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        return _message_dict(row) if row else None

    # --- koppelsleutels ---------------------------------------------------------------------------

    def add_koppelsleutel(
        self, key: str, kind: str, bron_brin: str, bron_rk: str, doel_brin: str, doel_rk: str, at: datetime
    ) -> None:
        self.db.execute(
            "INSERT INTO koppelsleutels VALUES (?,?,?,?,?,?,?)",
            (key.lower(), kind, bron_brin, bron_rk, doel_brin, doel_rk, at.isoformat()),
        )

    def koppelsleutel(self, key: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM koppelsleutels WHERE koppelsleutel = ?", (key.lower(),)).fetchone()


def _session(row: sqlite3.Row) -> Session:
    claim = Claim(
        row["bron_brin"], row["doel_brin"], row["doel_rk"], row["overdrachtsoort"], row["sleutel"], row["bron_rk"]
    )
    return Session(
        sessie_id=row["sessie_id"],
        granted=claim,
        specific_ap=bool(row["specific_ap"]),
        state=State(row["state"]),
        created=datetime.fromisoformat(row["created"]),
        last_seen=datetime.fromisoformat(row["last_seen"]),
        controles=row["controles"],
        resultaat=row["resultaat"],
        closed=datetime.fromisoformat(row["closed"]) if row["closed"] else None,
    )


def _message_dict(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    out["headers"] = json.loads(out.get("headers") or "{}")
    if "body" in out:
        out["body"] = out["body"].decode("utf-8", "replace") if out["body"] is not None else None
    return out
