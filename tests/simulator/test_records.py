"""The hosted LASes' own records: what they keep as bron and as doel, read back as they wrote it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from simulator.records import LasRecords, PreparedRow, Transfer
from simulator.store import Store

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def records(tmp_path: Path):
    store = Store(tmp_path / "records.db")
    yield LasRecords(store)
    store.close()


def test_an_import_step_again_updates_it_and_counts_the_time(records):
    with records.transaction():
        records.import_step("80AB", "pupil-1", "personalia", "2026-03-01", AT.isoformat(), '{"a": 1}')
        records.import_step("80AB", "pupil-1", "personalia", "2026-05-01", (AT + timedelta(days=60)).isoformat(), "{}")
    (row,) = records.imports("80AB")
    assert (row["times"], row["dossier_datum"], row["data"]) == (2, "2026-05-01", {})
    assert records.imported_before("80AB", "pupil-1") and not records.imported_before("80AA", "pupil-1")
    assert records.first_imported("80AB", "pupil-1") == AT + timedelta(days=60)
    assert records.first_imported("80AB", "nobody") is None


def test_imports_are_found_by_pupil_prefix_and_forgotten_per_school(records):
    with records.transaction():
        for pupil in ("abcd-1", "abcd-2", "other"):
            records.import_step("80AB", pupil, "personalia", "2026-03-01", AT.isoformat(), "{}")
        records.import_step("80AA", "abcd-1", "personalia", "2026-03-01", AT.isoformat(), "{}")
    count, steps = records.imports_like("80AB", "abcd")
    assert count == 2 and set(steps) == {"personalia"}
    with records.transaction():
        records.forget_imports(("80AB",))
    assert [r["doel_brin"] for r in records.imports()] == ["80AA"]
    assert records.counts()["imported_pupils"] == 1


def test_what_the_bron_served_and_notified(records):
    with records.transaction():
        records.served("ABC-SESSION", "1" * 20, "80AB", "2" * 20, "pupil-1", "OverdrachtGeslaagd", AT)
        records.notified("KOPPEL-1", "povo/1", AT)
    assert records.served_in("abc-session") == 1 and records.served_in("other") == 0
    assert records.notified_pupil("koppel-1") == "povo/1" and records.notified_pupil("koppel-2") is None


def test_the_doel_inbox(records):
    with records.transaction():
        records.received("notificatie", "KOPPEL-1", "90AA", "2" * 20, AT)
        records.received("terugkoppeling", "KOPPEL-1", "90AA", "2" * 20, AT, b"<x/>")
    assert records.was_notified("koppel-1") and not records.was_notified("koppel-2")
    assert [m["kind"] for m in records.inbox()] == ["terugkoppeling", "notificatie"]  # newest first


def test_transfers_come_back_as_they_were_logged(records):
    done = Transfer("80AB", "90AA", "pupil-1", "s-1", "OverdrachtGeslaagd", [("1" * 20, "OverdrachtGeslaagd")])
    with records.transaction():
        records.log_transfer(done, AT)
        records.log_transfer(Transfer("80AB", "90AA", "pupil-2"), AT)
    latest, first = records.transfers()
    assert first["per_aanleverpunt"] == [["1" * 20, "OverdrachtGeslaagd"]] and latest["pupil"] == "pupil-2"
    assert records.counts()["transfer_results"] == {"OverdrachtGeslaagd": 1, "InterneFout": 1}


def test_prepared_dossiers_by_key_zoeksleutel_and_pgnfrag(records):
    row = PreparedRow("prepared/80AA/x", "80AA", "ready", [(AT.isoformat(), "<dossier/>")])
    with records.transaction():
        records.prepare(row, "zs", "1234")
    assert records.prepared("prepared/80AA/x") == row
    assert records.prepared_at("80AA", zoeksleutel="zs") == [row] == records.prepared_at("80AA", pgnfrag="1234")
    assert records.prepared_at("80AB", zoeksleutel="zs") == []
    with records.transaction():
        records.withdraw_prepared()
    assert records.prepared("prepared/80AA/x") is None
