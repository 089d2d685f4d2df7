"""The store's transactions when SQLite cannot write: a specific error, every waiter released, the state
reset, and the next transaction simply works. ``PRAGMA max_page_count`` makes a real SQLITE_FULL without
a full disk (the disk-full test does it on a real file system, test_disk_full.py)."""

from __future__ import annotations

import asyncio

import pytest

from oso import faults
from simulator.store import Store, StoreUnavailable

BIG = b"x" * 256 * 1024  # more than the database may grow by in these tests


def limited(tmp_path) -> Store:
    store = Store(tmp_path / "s.db")
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages + 8}")
    return store


def put(store: Store, key: str, value: bytes | str) -> None:
    store.db.execute("INSERT INTO meta VALUES (?, ?)", (key, value))


def test_a_failed_transaction_raises_the_fault_and_the_next_one_works(tmp_path):
    store = limited(tmp_path)
    with pytest.raises(StoreUnavailable) as refused:
        with store.transaction():
            put(store, "small", "1")
            put(store, "big", BIG)
    assert refused.value.code == faults.TIJDELIJK and "full" in refused.value.message
    assert store.unavailable and not store.db.in_transaction
    assert store.get_meta("small") is None  # all or nothing
    with store.transaction():
        put(store, "after", "2")
    assert store.get_meta("after") == "2" and store.unavailable is None


def test_a_failed_group_fails_every_exchange_it_lost_and_acknowledges_only_what_is_stored(tmp_path):
    store = limited(tmp_path)

    async def exchange(key: str, value: bytes | str) -> str:
        try:
            with store.group():
                put(store, key, value)
            await store.flush()
        except StoreUnavailable as exc:
            return exc.code
        return "ok"

    async def main() -> list[str]:
        return await asyncio.gather(exchange("a", "1"), exchange("b", BIG), exchange("c", "3"))

    answers = dict(zip("abc", asyncio.run(main()), strict=True))
    # SQLITE_FULL rolled back the whole group, "a" with it: "a" is told so; "c" came in a new transaction.
    assert answers == {"a": faults.TIJDELIJK, "b": faults.TIJDELIJK, "c": "ok"}
    assert {k for k in "abc" if store.get_meta(k) is not None} == {k for k, a in answers.items() if a == "ok"}
    assert not store._open and not store.db.in_transaction


def test_a_transaction_commits_a_pending_group_first_so_its_own_end_is_durable(tmp_path):
    store = Store(tmp_path / "s.db")

    async def main() -> None:
        with store.group():
            put(store, "grouped", "1")
        with store.transaction():  # not joined to the group: committed when the block ends
            put(store, "own", "2")
        assert not store.db.in_transaction
        await store.flush()

    asyncio.run(main())
    other = Store(tmp_path / "s.db")
    assert (other.get_meta("grouped"), other.get_meta("own")) == ("1", "2")
