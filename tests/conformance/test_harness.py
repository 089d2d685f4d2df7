"""conformance/harness.py and the scenarios' evidence: what the suite sets up around a vendor's LAS."""

from __future__ import annotations

from datetime import datetime, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

import pytest

from conformance import harness
from conformance.adapter import AdapterError, School, VendorAdapter, VendorInfo
from conformance.harness import Harness, Timeline
from conformance.options import RunOptions, Target
from conformance.scenarios.evidence import Seen, clear_pgns
from oso.identifiers import synthetic_bsn

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class FourSchools(VendorAdapter):
    """A LAS whose doel and bron schools differ in both sectors, as the contract allows."""

    def info(self) -> VendorInfo:
        def school(brin: str) -> School:
            return School(brin, f"0000000090{brin}000001", f"http://127.0.0.1:9/oso/{brin}")

        return VendorInfo(
            "leverancier-x",
            "Leverancier X",
            {"po": school("81AA"), "vo": school("81AB")},
            {"po": school("82AA"), "vo": school("82AB")},
        )


def test_separate_doel_and_bron_schools_are_all_registered(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "load_adapter", lambda *args: FourSchools())
    oso = Harness(RunOptions(target=Target(url="http://127.0.0.1:9/control"), tls=False), tmp_path)
    try:
        oso.start()
        register = oso.running.simulator.register
        for brin in ("81AA", "81AB", "82AA", "82AB"):
            assert brin in register.schools, f"school {brin} of /info is not in the register"
            assert [e.routeringskenmerk for e in register.endpoints_of(brin)] == [f"0000000090{brin}000001"]
        assert {register.schools[b].sector for b in ("81AA", "82AA")} == {"po"}
    finally:
        oso.stop()


@pytest.mark.parametrize(
    ("now", "year"),
    [("2026-03-02T09:00:00+01:00", 2025), ("2026-08-01T00:30:00+02:00", 2026), ("2026-07-31T23:59:00+02:00", 2025)],
)
def test_the_timeline_is_the_las_school_year_before_its_now(now, year):
    timeline = Timeline(datetime.fromisoformat(now))
    assert timeline.school_year == year
    moments = [timeline.moment(f) for f in (0.0, 0.4, 0.6, 0.8, 0.9)]
    assert moments == sorted(moments) and moments[-1] <= timeline.now
    assert all(m >= datetime(year, 8, 1, tzinfo=AMSTERDAM) for m in moments), "prepared in an earlier school year"
    assert timeline.last_year() < datetime(year, 8, 1, tzinfo=AMSTERDAM) <= timeline.now, "the expired one is not"


def test_the_las_clock_runs_on_from_what_info_said():
    said = datetime.fromisoformat("2026-11-05T10:00:00+01:00")
    timeline = Timeline(said, read_at=monotonic() - 90)  # /info answered 90 s ago
    assert said + timedelta(seconds=90) <= timeline.current() < said + timedelta(seconds=100)
    assert timeline.school_year == 2026, "the school year is that of the LAS's clock, not the real one"


def test_a_nine_digit_run_that_is_no_pupil_of_the_run_is_no_leak():
    """A routeringskenmerk or a sessieId may hold nine digits passing the 11-proef: only the run's pupils count."""
    pupil = synthetic_bsn(42)

    def request(body: str) -> Seen:
        return Seen(1, "/tc", "sessiecontroleRequest", None, body, None, "")

    innocent = request(
        "<bronRouteringsKenmerk>123456782X71MA000001</bronRouteringsKenmerk>"
        "<sessieId>123456782-aaaa-4bbb-8ccc-246263738def</sessieId>"
    )
    assert clear_pgns([innocent], {pupil}) == []
    leaking = request(f"<zoeksleutel>{pupil}</zoeksleutel>")
    assert clear_pgns([innocent, leaking], {pupil, synthetic_bsn(43)}) == [("sessiecontroleRequest", pupil)]
    assert clear_pgns([request(f"<zoeksleutel>1{pupil}</zoeksleutel>")], {pupil}) == [], "a longer number is no PGN"


def test_vendor_info_takes_the_las_clock():
    school = {"brin": "81AA", "routeringskenmerk": "000000009081AA000001", "url": "http://127.0.0.1:9/oso"}
    given = {"vendor": "x", "doel": {"po": school, "vo": school}, "bron": {"po": school, "vo": school}}
    info = VendorInfo.from_dict({**given, "now": "2026-11-05T10:00:00+01:00"})
    assert info.now == datetime(2026, 11, 5, 10, tzinfo=AMSTERDAM)
    assert VendorInfo.from_dict(given).now is None
    with pytest.raises(AdapterError, match="no timezone"):
        VendorInfo.from_dict({**given, "now": "2026-11-05T10:00:00"})
    with pytest.raises(AdapterError, match=r"\.now: 'tomorrow' is not a date-time"):
        VendorInfo.from_dict({**given, "now": "tomorrow"})
