"""The simulator's durable state: SQLite in WAL mode under ``--data-dir``.

Everything one exchange changes (the session, the reference LAS's records, the evidence of the
message in and the answer out) is written in one transaction that commits before the answer is
sent, so an acknowledged message survives a ``kill -9`` and no transfer is ever half-written.
``synchronous=NORMAL`` makes a commit durable against a crashed process; ``fsync=True``
(``synchronous=FULL``) also against a crashed machine, at the cost of one fsync per message.

The store keeps nothing in memory beyond SQLite's page cache, so the evidence log stays bounded in
memory however long the simulator runs. On disk it is bounded too: of a refused exchange only the
first :data:`REFUSED_PREFIX` bytes of a body are kept, with its sha256 and real size (a client
flooding junk cannot fill the disk), and past ``evidence_max_bytes`` the oldest exchanges go first
(the evidence only: sessions and the reference LAS's records are never evicted). Below
``disk_floor_bytes`` of free space new sessions are refused, so the ones under way can finish.

A commit that fails (disk full, I/O error, read-only file system) is an answer, never a hang: the
transaction is rolled back, every request waiting for it fails with :class:`StoreUnavailable`
(``TijdelijkNietBeschikbaar`` with the reason), and the next transaction simply tries again, so the
simulator recovers by itself once space comes back. Nothing is acknowledged that was not committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from oso import faults
from oso.faults import ANSWERS, GESLAAGD, OsoFault
from oso.identifiers import mask_pgn, pupil_number_kind
from oso.session import Claim, Session, State

log = logging.getLogger("osokit.simulator")

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
    http_status INTEGER, fault TEXT, validation TEXT, duration_ms REAL, headers TEXT, body BLOB, size INTEGER,
    sha256 TEXT, injected TEXT);
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
MIB = 1024 * 1024
REFUSED_PREFIX = 16 * 1024  # bytes kept of a body in a refused exchange: enough to see what it was
_ROW_BYTES = 200  # what a message row costs besides its body and headers, roughly
_COLUMNS = (
    "id, exchange, at, direction, endpoint, operation, peer, vendor, sessie_id, "
    "http_status, fault, validation, duration_ms, headers, body, size, sha256, injected"
)
_ADDED_COLUMNS = ("sha256 TEXT", "injected TEXT")  # messages columns a data dir of an older osokit lacks


def mask_pgns(body: bytes) -> bytes:
    """Every valid BSN or onderwijsnummer in ``body`` masked to its last two digits."""

    def mask(match: re.Match[bytes]) -> bytes:
        number = match.group().decode()
        return mask_pgn(number).encode() if pupil_number_kind(number) else match.group()

    return _NINE_DIGITS.sub(mask, body)


# SQLite's primary result codes that mean "the storage cannot take this now" rather than a bug:
# BUSY, LOCKED, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL.
_STORAGE_CODES = {5, 6, 7, 8, 10, 11, 13, 14, 15}


class StoreUnavailable(OsoFault):
    """The store could not write (disk full, I/O error, read-only file system): nothing of the failed
    transaction was committed. A SOAP caller gets ``TijdelijkNietBeschikbaar`` with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            faults.TIJDELIJK, f"the simulator's storage is unavailable ({reason}): nothing was stored, retry later"
        )
        self.reason = reason


def storage_error(exc: BaseException) -> StoreUnavailable | None:
    """``exc`` as a StoreUnavailable when it is SQLite saying the storage failed; None for anything else."""
    if isinstance(exc, StoreUnavailable):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in _STORAGE_CODES:
        return StoreUnavailable(str(exc))
    return None


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
    injected: str | None = None  # what the fault profile did instead of the real answer: fault, http-error, dropped


@dataclass(frozen=True)
class Search:
    """What a page of sessions or messages is narrowed to; an empty field narrows nothing.

    ``result``: ``ok`` (no fault; a session that ended in OverdrachtGeslaagd), ``answer`` (a refusal
    that is a right answer, :data:`oso.faults.ANSWERS`), ``fault`` (any other fault), ``open`` (a
    session without a result yet) or one code. Messages are narrowed by exchange: a request comes with
    its answer. ``schools`` (with ``aanleverpunten`` and ``vendor``, the caller's certificate) name the
    parties: sessions of those schools; messages of those sessions, sent to those aanleverpunten or by
    that vendor.
    """

    text: str = ""  # part of a sessie_id, BRIN, routeringskenmerk, endpoint, operation, fault code or peer
    kind: str = ""  # sessions: overdrachtsoort
    state: str = ""  # sessions: state
    operation: str = ""  # messages: the request's operation
    result: str = ""
    schools: tuple[str, ...] | None = None  # None: any; with aanleverpunten and vendor, the parties
    aanleverpunten: tuple[str, ...] = ()
    vendor: str = ""
    injected: bool = False  # only what the fault profile touched


def _marks(values: tuple[str, ...] | frozenset[str]) -> str:
    return ",".join("?" * len(values)) or "NULL"


def _session_where(f: Search) -> tuple[str, list[Any]]:
    clauses, args = ["1"], []
    if f.text:
        clauses.append(
            "instr(lower(sessie_id || ' ' || bron_brin || ' ' || doel_brin || ' ' || doel_rk || ' ' || "
            "coalesce(bron_rk, '') || ' ' || coalesce(resultaat, '')), lower(?)) > 0"
        )
        args.append(f.text)
    for column, value in (("overdrachtsoort", f.kind), ("state", f.state)):
        if value:
            clauses.append(f"{column} = ?")
            args.append(value)
    if f.result == "open":
        clauses.append("resultaat IS NULL")
    elif f.result == "ok":
        clauses.append("resultaat = ?")
        args.append(GESLAAGD)
    elif f.result == "answer":
        clauses.append(f"resultaat IN ({_marks(ANSWERS)})")
        args += sorted(ANSWERS)
    elif f.result == "fault":
        clauses.append(f"resultaat NOT IN (?, {_marks(ANSWERS)})")
        args += [GESLAAGD, *sorted(ANSWERS)]
    elif f.result:
        clauses.append("resultaat = ?")
        args.append(f.result)
    if f.schools is not None:
        marks = _marks(f.schools)
        clauses.append(f"(bron_brin IN ({marks}) OR doel_brin IN ({marks}))")
        args += [*f.schools, *f.schools]
    if f.injected:
        clauses.append("sessie_id IN (SELECT sessie_id FROM messages WHERE injected IS NOT NULL)")
    return " AND ".join(clauses), args


def _message_where(f: Search) -> tuple[str, list[Any]]:
    clauses: list[str] = ["1"]
    args: list[str | None] = []
    if f.text:
        clauses.append(
            "instr(lower(coalesce(sessie_id, '') || ' ' || endpoint || ' ' || coalesce(operation, '') || "
            "' ' || coalesce(fault, '') || ' ' || coalesce(peer, '') || ' ' || coalesce(vendor, '')), "
            "lower(?)) > 0"
        )
        args.append(f.text)
    if f.operation:
        clauses.append("operation IN (?, ?)")
        args += [f.operation, f.operation.replace("Request", "Response")]
    faulty = "SELECT exchange FROM messages WHERE fault"
    if f.result == "ok":
        clauses.append(f"exchange NOT IN ({faulty} IS NOT NULL)")
    elif f.result == "answer":
        clauses.append(f"exchange IN ({faulty} IN ({_marks(ANSWERS)}))")
        args += sorted(ANSWERS)
    elif f.result == "fault":
        clauses.append(f"exchange IN ({faulty} NOT IN ({_marks(ANSWERS)}))")
        args += sorted(ANSWERS)
    elif f.result:
        clauses.append(f"exchange IN ({faulty} = ?)")
        args.append(f.result)
    if f.schools is not None:
        schools, rks = _marks(f.schools), _marks(f.aanleverpunten)
        clauses.append(
            f"(sessie_id IN (SELECT sessie_id FROM sessions WHERE bron_brin IN ({schools}) OR doel_brin IN ({schools}))"
            f" OR (instr(endpoint, '/schools/') > 0 AND substr(endpoint, -20) IN ({rks})) OR vendor = ?)"
        )
        args += [*f.schools, *f.schools, *f.aanleverpunten, f.vendor or None]
    if f.injected:
        clauses.append("exchange IN (SELECT exchange FROM messages WHERE injected IS NOT NULL)")
    return " AND ".join(clauses), args


class Store:
    def __init__(
        self,
        path: Path,
        *,
        fsync: bool = False,
        evidence_bodies: int = 1,
        show_pgn: bool = False,
        evidence_max_bytes: int = 0,
        disk_floor_bytes: int = 0,
    ) -> None:
        """``evidence_bodies``: keep the body of every Nth exchange (1 = all, 0 = none);
        ``evidence_max_bytes``: the evidence log's cap (0: none); ``disk_floor_bytes``: the free space
        below which new sessions are refused (0: no floor)."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.execute(f"PRAGMA journal_size_limit={32 * MIB}")  # the WAL shrinks back after a checkpoint
        self.db.executescript(SCHEMA)
        present = {r["name"] for r in self.db.execute("PRAGMA table_info(messages)")}
        for column in _ADDED_COLUMNS:
            if column.split()[0] not in present:
                self.db.execute(f"ALTER TABLE messages ADD COLUMN {column}")
        self.evidence_bodies = evidence_bodies
        self.show_pgn = show_pgn
        self.evidence_max_bytes, self.disk_floor_bytes = evidence_max_bytes, disk_floor_bytes
        self._evidence_bytes: int | None = None  # what the evidence log takes, counted when first needed
        self._depth = 0  # how many transaction()/group() blocks are open now
        self._open = False  # a transaction is open (possibly a group waiting for its commit)
        self._waiters: list[asyncio.Future[None]] = []
        self.unavailable: str | None = None  # why the last commit failed, until one succeeds again
        self._reader: sqlite3.Connection | None = None
        self._changes = 0  # db.total_changes when the open transaction began
        self._exchanges = 0
        self._next_id: int | None = None

    def close(self) -> None:
        if self._open:
            self._commit()
        if self._reader is not None:
            self._reader.close()
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes inside commit together when the block ends, or the block raises (StoreUnavailable when
        the commit failed). Inside another block it joins it, and commits with it. A group commit still
        pending is committed first, so what this block writes is durable when it ends."""
        if self._depth:
            self._check_alive()
            yield
            return
        if self._open:
            self._commit()
        self._begin()
        self._depth = 1
        try:
            yield
        except BaseException as exc:
            error = storage_error(exc)
            if error is None:
                self._rollback()
                raise
            self._abandon(error)
            if error is exc:
                raise
            raise error from exc
        finally:
            self._depth = 0
        failed = self._commit()
        if failed:
            raise failed

    @contextmanager
    def group(self) -> Iterator[None]:
        """The writes of one exchange of an async handler, committed by the next group commit.

        Concurrent exchanges share one commit (one WAL write for all of them); each handler then
        awaits :meth:`flush` right after the block, before it answers, so nothing is acknowledged
        before it is durable, and a failed commit fails every exchange it carried.
        """
        if self._depth:  # inside another exchange's block: part of it
            self._check_alive()
            yield
            return
        if not self._open:
            self._begin()
            asyncio.get_running_loop().call_soon(self._commit)
        with self._savepoint():  # so a failing exchange undoes only its own writes
            yield

    async def flush(self) -> None:
        """Wait until everything written so far is committed; StoreUnavailable if that commit failed."""
        if self._open:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    def _begin(self) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._abandon(storage_error(exc) or StoreUnavailable(str(exc))) from exc
        self._open = True
        self._changes = self.db.total_changes

    def _check_alive(self) -> None:
        """Joining a block whose transaction SQLite already rolled back would write in autocommit mode."""
        if not self.db.in_transaction:
            raise self._abandon(StoreUnavailable("the transaction was rolled back by SQLite"))

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        name = f"s{self._depth}"
        try:
            self.db.execute(f"SAVEPOINT {name}")
        except sqlite3.Error as exc:
            raise self._abandon(storage_error(exc) or StoreUnavailable(str(exc))) from exc
        self._depth += 1
        try:
            yield
        except BaseException as exc:
            self._undo(name)
            error = storage_error(exc)
            if error is None or error is exc:
                raise
            raise error from exc
        finally:
            self._depth -= 1
        try:
            self.db.execute(f"RELEASE {name}")
        except sqlite3.Error as exc:  # SQLite dropped the transaction under us: the whole group is lost
            raise self._abandon(storage_error(exc) or StoreUnavailable(str(exc))) from exc

    def _undo(self, name: str) -> None:
        """Undo one exchange's writes; if SQLite already rolled the whole transaction back, fail the group."""
        self._next_id = self._evidence_bytes = None
        if self.db.in_transaction:
            try:
                self.db.execute(f"ROLLBACK TO {name}")
                self.db.execute(f"RELEASE {name}")
                return
            except sqlite3.Error:
                pass
        self._abandon(StoreUnavailable("the transaction was rolled back by SQLite"))

    def _commit(self) -> StoreUnavailable | None:
        """Commit and release the waiters; on failure roll back, fail them, and return the error."""
        if not self._open:
            return None
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            return self._abandon(storage_error(exc) or StoreUnavailable(str(exc)))
        self._open = False
        waiters, self._waiters = self._waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)
        if self.unavailable is not None and self.db.total_changes > self._changes:  # it really wrote
            log.warning("storage available again (%s)", self.path)
            self.unavailable = None
        return None

    def _abandon(self, error: StoreUnavailable) -> StoreUnavailable:
        """Give up the open transaction: roll back what SQLite has not, fail every waiter with ``error``."""
        self._rollback()
        waiters, self._waiters = self._waiters, []
        for w in waiters:
            if not w.done():
                w.set_exception(StoreUnavailable(error.reason))
        if self.unavailable is None:
            log.warning("storage unavailable (%s): %s; answering TijdelijkNietBeschikbaar", self.path, error.reason)
        self.unavailable = error.reason
        return error

    def _rollback(self) -> None:
        # After SQLITE_FULL or an I/O error SQLite may have rolled back already; a second ROLLBACK would raise.
        if self.db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
        self._open = False
        self._next_id = None  # ids handed out in the rolled-back transaction are free again
        self._evidence_bytes = None

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

    def count_committed(self, table: str) -> int:
        """Rows of ``table`` that are committed: read on a connection of its own, which never sees the
        writes of a transaction still open (a group commit under way, or one about to fail)."""
        if table not in _TABLES:
            raise ValueError(f"no table {table!r} in the store")
        if self._reader is None:
            self._reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        return int(self._reader.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    # --- evidence ---------------------------------------------------------------------------------

    def add_exchange(self, *messages: Message) -> int:
        """Record the messages of one exchange (a request and its answer); returns the exchange id.

        Ids are assigned here (one writer), so the exchange id, the id of its first message, goes in
        with the rows in one statement. An exchange answered with a fault keeps only a prefix of each
        long body, with the body's sha256 and size; past the cap the oldest exchanges make room.
        """
        self._exchanges += 1
        keep_body = self.evidence_bodies and self._exchanges % self.evidence_bodies == 0
        refused = any(m.fault for m in messages)
        if self._next_id is None:
            self._next_id = (self.db.execute("SELECT max(id) FROM messages").fetchone()[0] or 0) + 1
        exchange = self._next_id
        rows, stored = [], 0
        for offset, m in enumerate(messages):
            body, digest = None, None
            if keep_body:
                body = m.body if self.show_pgn else mask_pgns(m.body)
                if refused and len(body) > REFUSED_PREFIX:
                    body, digest = body[:REFUSED_PREFIX], hashlib.sha256(m.body).hexdigest()
            headers = json.dumps(m.headers) if m.headers else None
            stored += _ROW_BYTES + len(body or b"") + len(headers or "")
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
                    headers,
                    body,
                    len(m.body),
                    digest,
                    m.injected,
                )
            )
        if self.evidence_max_bytes:
            self._evidence_bytes = self.evidence_bytes() + stored
        self.db.executemany(f"INSERT INTO messages ({_COLUMNS}) VALUES ({','.join('?' * 18)})", rows)
        self._next_id = exchange + len(rows)
        if self.evidence_max_bytes and (self._evidence_bytes or 0) > self.evidence_max_bytes:
            self._evict(keep_from=exchange)
        return exchange

    def evidence_bytes(self) -> int:
        """About what the evidence log takes in the database (bodies, headers, rows)."""
        if self._evidence_bytes is None:
            self._evidence_bytes = self.db.execute(
                "SELECT coalesce(sum(coalesce(length(body), 0) + coalesce(length(headers), 0) + ?), 0) FROM messages",
                (_ROW_BYTES,),
            ).fetchone()[0]
        return self._evidence_bytes

    def _evict(self, keep_from: int) -> None:
        """Delete the oldest exchanges, whole, until the log is at 90% of its cap; never those from
        ``keep_from`` on (the exchange being written). Only the evidence: nothing else is touched."""
        excess, freed, cutoff = self.evidence_bytes() - self.evidence_max_bytes * 9 // 10, 0, None
        rows = self.db.execute(
            "SELECT exchange, coalesce(length(body), 0) + coalesce(length(headers), 0) + ? FROM messages "
            "WHERE id < ? ORDER BY id",
            (_ROW_BYTES, keep_from),
        )
        for exchange, size in rows:
            if freed >= excess and exchange != cutoff:
                cutoff = exchange
                break
            cutoff, freed = exchange, freed + size
        else:
            cutoff = keep_from
        self.db.execute("DELETE FROM messages WHERE id < ?", (cutoff,))
        self._evidence_bytes = self.evidence_bytes() - freed

    def check_floor(self) -> None:
        """Refuse to start a new session when the data dir's disk has less free space than the floor."""
        if not self.disk_floor_bytes:
            return
        free = shutil.disk_usage(self.path.parent).free
        if free < self.disk_floor_bytes:
            raise OsoFault(
                faults.TIJDELIJK,
                f"only {free / MIB:.1f} MB free for the simulator's data, below its floor of "
                f"{self.disk_floor_bytes / MIB:.0f} MB: no new sessions until space is freed "
                "(sessions under way go on)",
            )

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
        clauses = ["id > ?"]
        args: list[int | str] = [after]
        for column, value in (
            ("sessie_id", sessie_id and sessie_id.lower()),
            ("operation", operation),
            ("fault", fault),
        ):
            if value:
                clauses.append(f"{column} = ?")
                args.append(value)
        columns = _COLUMNS if with_body else _COLUMNS.replace(", body,", ",")
        rows = self.db.execute(
            f"SELECT {columns} FROM messages WHERE {' AND '.join(clauses)} ORDER BY id LIMIT ?", (*args, limit)
        )
        return [_message_dict(r) for r in rows]

    def search_sessions(self, search: Search, *, offset: int = 0, limit: int = 50) -> tuple[int, list[Session]]:
        """How many sessions match, and one page of them, newest first."""
        where, args = _session_where(search)
        total = self.db.execute(f"SELECT count(*) FROM sessions WHERE {where}", args).fetchone()[0]
        rows = self.db.execute(
            f"SELECT * FROM sessions WHERE {where} ORDER BY created DESC, sessie_id LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
        return int(total), [_session(r) for r in rows]

    def search_messages(self, search: Search, *, offset: int = 0, limit: int = 50) -> tuple[int, list[dict[str, Any]]]:
        """How many messages match, and one page of them (without bodies), newest first."""
        where, args = _message_where(search)
        total = self.db.execute(f"SELECT count(*) FROM messages WHERE {where}", args).fetchone()[0]
        columns = _COLUMNS.replace(", body,", ",")
        rows = self.db.execute(
            f"SELECT {columns} FROM messages WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?", (*args, limit, offset)
        )
        return int(total), [_message_dict(r) for r in rows]

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
