"""Fault profiles: parsing and validation, deterministic per-stream decisions, and the shipped profiles."""

from __future__ import annotations

import math
import re
import statistics
from pathlib import Path

import pytest

from oso import transport
from oso.faults import CATALOGUE
from simulator.faultinject import (
    MAX_LATENCY_MS,
    OPERATIONS,
    SHIPPED_DIR,
    Action,
    FaultProfile,
    FaultProfileError,
    LogNormal,
    school_keys,
    shipped_profiles,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "fault-profiles.md"
RK = "000000000190AA000001"  # osokit's shape: vendor 1, BRIN 90AA, vestiging 00, endpoint 1
RK_OTHER_SCHOOL = "000000000191BB000001"


def profile(rules: str, seed: int = 0) -> FaultProfile:
    return FaultProfile.parse(f"seed = {seed}\n{rules}", "faults.toml")


def within_6_sigma(hits: int, n: int, p: float) -> bool:
    """Binomial tolerance wide enough never to flake, narrow enough to catch a wrong share."""
    return abs(hits - n * p) <= 6 * math.sqrt(n * p * (1 - p))


def sequence(p: FaultProfile, n: int, operation: str = "documentRequest", school: str = "90AA") -> list[Action]:
    return [p.decide(operation, school) for _ in range(n)]


# --- the shipped profiles ------------------------------------------------------------------------


def test_the_four_profiles_ship():
    assert [p.name for p in shipped_profiles()] == [
        "duplicates.toml",
        "flaky-bron.toml",
        "latency.toml",
        "slow-tc.toml",
    ]


@pytest.mark.parametrize("path", shipped_profiles(), ids=lambda p: p.stem)
def test_shipped_profile_parses(path: Path):
    p = FaultProfile.load(path)
    assert p.name == path.stem
    assert p.description
    assert p.rules


def test_flaky_bron_shares_of_all_calls():
    p = FaultProfile.load(SHIPPED_DIR / "flaky-bron.toml")
    n = 5000
    actions = sequence(p, n)
    assert within_6_sigma(sum(a.fault == "TijdelijkNietBeschikbaar" for a in actions), n, 0.20)
    assert within_6_sigma(sum(a.http_status == 503 for a in actions), n, 0.05)
    assert within_6_sigma(sum(a.drop for a in actions), n, 0.02)
    assert all(p.decide(op, "90AA").nothing for op in OPERATIONS if op != "documentRequest")


def test_slow_tc_touches_tc_operations_only():
    p = FaultProfile.load(SHIPPED_DIR / "slow-tc.toml")
    n = 5000
    slow = [a.latency for a in sequence(p, n, "overdrachtRequest") if a.latency]
    assert within_6_sigma(len(slow), n, 0.10)
    assert all(2.0 <= s <= 5.0 for s in slow)
    assert all(a.nothing for a in sequence(p, 500, "documentRequest"))


def test_duplicates_are_outbound_notifications_only():
    p = FaultProfile.load(SHIPPED_DIR / "duplicates.toml")
    n = 5000
    actions = [p.decide("notificatieRequest", RK, "out") for _ in range(n)]
    twice = [a for a in actions if a.duplicate]
    assert within_6_sigma(len(twice), n, 0.5)
    assert all(1.0 <= a.delay <= 3.0 for a in twice)
    assert all(a.nothing for a in actions if not a.duplicate)
    assert p.decide("notificatieRequest", RK, "in").nothing


def test_latency_profile_lognormal_median_and_p99():
    p = FaultProfile.load(SHIPPED_DIR / "latency.toml")
    ms = [p.decide("overdrachtRequest", "90AA").latency * 1000 for _ in range(20_000)]
    cuts = statistics.quantiles(ms, n=100)
    # Sampling error at n=20,000 is about 0.7% for the median and 2% for p99; 6 sigma fits inside.
    assert cuts[49] == pytest.approx(150, rel=0.05)
    assert cuts[98] == pytest.approx(800, rel=0.15)


def test_lognormal_parameters():
    d = LogNormal(median_ms=80, p99_ms=400)
    assert d.mu == pytest.approx(math.log(80))
    assert d.sigma == pytest.approx((math.log(400) - math.log(80)) / 2.3263, rel=1e-4)


def test_operations_match_the_transport():
    assert set(OPERATIONS) == set(transport.OPERATIONS)


# --- determinism -----------------------------------------------------------------------------------


def test_same_profile_same_decisions():
    path = SHIPPED_DIR / "flaky-bron.toml"
    a, b = FaultProfile.load(path), FaultProfile.load(path)
    assert sequence(a, 300) == sequence(b, 300)


def test_reset_starts_the_streams_again():
    p = FaultProfile.load(SHIPPED_DIR / "flaky-bron.toml")
    first = sequence(p, 100)
    p.reset()
    assert sequence(p, 100) == first


def test_other_schools_traffic_does_not_change_a_schools_decisions():
    path = SHIPPED_DIR / "flaky-bron.toml"
    alone, busy = FaultProfile.load(path), FaultProfile.load(path)
    expected = sequence(alone, 200, school="90AA")
    seen = []
    for i in range(200):
        for _ in range(i % 3):
            busy.decide("documentRequest", "91BB")
            busy.decide("documentRequest", RK_OTHER_SCHOOL)
            busy.decide("notificatieRequest", "90AA")
        seen.append(busy.decide("documentRequest", "90AA"))
    assert seen == expected


def test_seed_changes_decisions():
    rules = '[[rule]]\nprobability = 0.5\nfault = "TijdelijkNietBeschikbaar"'
    assert sequence(profile(rules, seed=1), 100) != sequence(profile(rules, seed=2), 100)


def test_schools_get_different_streams():
    p = profile('[[rule]]\nprobability = 0.5\nfault = "TijdelijkNietBeschikbaar"')
    assert sequence(p, 100, school="90AA") != sequence(p, 100, school="91BB")


# --- semantics -------------------------------------------------------------------------------------


def test_no_profile_does_nothing():
    action = FaultProfile.none().decide("documentRequest", "90AA")
    assert action == Action()
    assert action.nothing
    assert FaultProfile.none().rules == ()


@pytest.mark.parametrize(
    "action",
    [Action(latency=0.1), Action(fault="InterneFout"), Action(http_status=503), Action(drop=True),
     Action(duplicate=True), Action(delay=1.0)],
)  # fmt: skip
def test_any_effect_is_something(action: Action):
    assert not action.nothing


def test_probability_respected():
    p = profile("[[rule]]\nprobability = 0.3\nhttp_status = 500")
    n = 5000
    assert within_6_sigma(sum(a.http_status == 500 for a in sequence(p, n)), n, 0.3)


def test_probability_edges():
    never = profile("[[rule]]\nprobability = 0\ndrop = true")
    always = profile("[[rule]]\ndrop = true")
    assert all(a.nothing for a in sequence(never, 200))
    assert all(a == Action(drop=True) for a in sequence(always, 200))


def test_latencies_add_across_rules():
    p = profile("[[rule]]\nlatency = { ms = 100 }\n[[rule]]\noperation = 'documentRequest'\nlatency = { ms = 250 }")
    assert p.decide("documentRequest", "90AA").latency == pytest.approx(0.35)
    assert p.decide("overdrachtRequest", "90AA").latency == pytest.approx(0.1)


def test_first_outcome_wins_latency_still_counts():
    p = profile(
        "[[rule]]\nlatency = { ms = 100 }\n"
        "[[rule]]\nfault = 'TijdelijkNietBeschikbaar'\n"
        "[[rule]]\nhttp_status = 503\nlatency = { ms = 50 }"
    )
    assert p.decide("documentRequest", "90AA") == Action(latency=0.15, fault="TijdelijkNietBeschikbaar")


def test_a_later_outcome_decides_when_the_first_does_not_fire():
    p = profile("[[rule]]\nprobability = 0\nfault = 'TijdelijkNietBeschikbaar'\n[[rule]]\nhttp_status = 503")
    assert p.decide("documentRequest", "90AA") == Action(http_status=503)


def test_direction_filtering():
    p = profile(
        "[[rule]]\nlatency = { ms = 10 }\n"  # direction defaults to in
        "[[rule]]\ndirection = 'out'\nlatency = { ms = 20 }\nduplicate = true\n"
        "[[rule]]\ndirection = '*'\nlatency = { ms = 40 }"
    )
    assert p.decide("notificatieRequest", RK, "in") == Action(latency=0.05)
    assert p.decide("notificatieRequest", RK, "out") == Action(latency=0.06, duplicate=True)


def test_drop_outbound_is_neither_repeated_nor_late():
    p = profile(
        "[[rule]]\ndirection = 'out'\nduplicate = true\ndelay_ms = 500\n[[rule]]\ndirection = 'out'\ndrop = true"
    )
    assert p.decide("notificatieRequest", RK, "out") == Action(drop=True)


def test_delay_ms_is_a_fixed_delay():
    p = profile("[[rule]]\ndirection = 'out'\ndelay_ms = 2000")
    assert p.decide("documentRequest", RK, "out") == Action(delay=2.0)


def test_decide_rejects_an_unknown_direction():
    with pytest.raises(ValueError, match="direction must be 'in' or 'out'"):
        FaultProfile.none().decide("documentRequest", "90AA", "*")


def test_unknown_operation_matches_only_the_wildcard():
    p = profile("[[rule]]\nlatency = { ms = 10 }\n[[rule]]\noperation = 'documentRequest'\nlatency = { ms = 20 }")
    assert p.decide("fooRequest", "90AA") == Action(latency=0.01)


def test_operation_and_school_lists():
    p = profile("[[rule]]\noperation = ['afmeldingRequest', 'documentRequest']\nschool = ['90AA', '91BB']\ndrop = true")
    assert p.decide("afmeldingRequest", "91BB").drop
    assert p.decide("documentRequest", RK).drop
    assert p.decide("overdrachtRequest", "90AA").nothing
    assert p.decide("documentRequest", "92CC").nothing


def test_normal_latency_never_negative_and_capped():
    p = profile("[[rule]]\nlatency = { distribution = 'normal', mean_ms = 59000, sd_ms = 30000 }")
    draws = [a.latency for a in sequence(p, 2000)]
    assert all(0 <= d <= MAX_LATENCY_MS / 1000 for d in draws)
    assert max(draws) == MAX_LATENCY_MS / 1000
    low = profile("[[rule]]\nlatency = { distribution = 'normal', mean_ms = 10, sd_ms = 100 }")
    assert min(a.latency for a in sequence(low, 500)) == 0


# --- schools ---------------------------------------------------------------------------------------


def test_school_keys():
    assert school_keys("90AA") == ("90AA",)
    assert school_keys(RK) == (RK, "90AA")
    assert school_keys(None) == ()


@pytest.mark.parametrize(
    ("rule_school", "given", "matches"),
    [
        ("90AA", "90AA", True),
        ("90AA", RK, True),  # the BRIN inside the routeringskenmerk
        ("90AA", RK_OTHER_SCHOOL, False),
        ("90AA", "91BB", False),
        (RK, RK, True),
        (RK, "90AA", False),  # one aanleverpunt does not stand for the whole school
        (RK, "000000000190AA000002", False),
        ("90AA", None, False),
        ("*", None, True),
    ],
)
def test_school_matching(rule_school: str, given: str | None, matches: bool):
    p = profile(f"[[rule]]\nschool = '{rule_school}'\nfault = 'TijdelijkNietBeschikbaar'")
    assert (p.decide("documentRequest", given).fault is not None) is matches


# --- validation ------------------------------------------------------------------------------------

LOGNORMAL = "latency = { distribution = 'lognormal', median_ms = 80, p99_ms = 400 }"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nmae = 'x'", "faults.toml: unknown key(s) 'nmae' (allowed: description, name, rule, seed)"),
        ("seed = 'x'", "faults.toml: seed must be an integer, not 'x'"),
        ("seed = true", "faults.toml: seed must be an integer, not True"),
        ("name = 3", "faults.toml: name must be a string, not 3"),
        ("[rule]\ndrop = true", "faults.toml: rule must be an array of tables: write [[rule]]"),
        ("rule = [1]", "faults.toml: rule 1: must be a table ([[rule]]), not 1"),
        ("[[rule]]\ndrop = true\n[[rule]]\nfault = 'Foo'",
         "faults.toml: rule 2: unknown fault code 'Foo' (see osokit's fault catalogue)"),
        ("[[rule]]\nprobabilty = 0.5\ndrop = true",
         "faults.toml: rule 1: unknown key(s) 'probabilty' (allowed: delay, delay_ms, direction, drop, duplicate, "
         "fault, http_status, latency, operation, probability, school)"),
        ("[[rule]]\noperation = 'documentReq'\ndrop = true",
         "faults.toml: rule 1: unknown operation 'documentReq' (known: " + ", ".join(OPERATIONS) + " or '*')"),
        ("[[rule]]\noperation = []\ndrop = true",
         "faults.toml: rule 1: operation must be a string or a list of strings, not []"),
        ("[[rule]]\nschool = '90aa'\ndrop = true",
         "faults.toml: rule 1: school '90aa' is not a BRIN (e.g. 90AA), a 20-character routeringskenmerk or '*'"),
        ("[[rule]]\ndirection = 'inbound'\ndrop = true",
         "faults.toml: rule 1: direction 'inbound' is not 'in', 'out' or '*'"),
        ("[[rule]]\nprobability = 1.5\ndrop = true",
         "faults.toml: rule 1: probability 1.5 is not a number between 0 and 1"),
        ("[[rule]]\nprobability = -0.1\ndrop = true",
         "faults.toml: rule 1: probability -0.1 is not a number between 0 and 1"),
        ("[[rule]]\nprobability = '20%'\ndrop = true",
         "faults.toml: rule 1: probability '20%' is not a number between 0 and 1"),
        ("[[rule]]\nlatency = 80",
         "faults.toml: rule 1: latency must be a table, e.g. "
         "{ distribution = \"lognormal\", median_ms = 80, p99_ms = 400 }"),
        ("[[rule]]\nlatency = { distribution = 'pareto', ms = 1 }",
         "faults.toml: rule 1: latency: unknown distribution 'pareto' (known: fixed, uniform, normal, lognormal)"),
        ("[[rule]]\nlatency = { distribution = 'lognormal', median_ms = 80, p95_ms = 400 }",
         "faults.toml: rule 1: latency: unknown key(s) 'p95_ms' for a lognormal distribution "
         "(allowed: distribution, median_ms, p99_ms)"),
        ("[[rule]]\nlatency = { distribution = 'lognormal', median_ms = 80 }",
         "faults.toml: rule 1: latency: a lognormal distribution needs median_ms and p99_ms"),
        ("[[rule]]\nlatency = { distribution = 'lognormal', median_ms = 80, p99_ms = 50 }",
         "faults.toml: rule 1: latency.p99_ms (50) is below latency.median_ms (80)"),
        ("[[rule]]\nlatency = { distribution = 'lognormal', median_ms = 0, p99_ms = 50 }",
         "faults.toml: rule 1: latency.median_ms must be a positive number of milliseconds, not 0"),
        ("[[rule]]\nlatency = { ms = -5 }",
         "faults.toml: rule 1: latency.ms must be a positive number of milliseconds, not -5"),
        ("[[rule]]\nlatency = { ms = true }",
         "faults.toml: rule 1: latency.ms must be a positive number of milliseconds, not True"),
        ("[[rule]]\nlatency = { ms = 120000 }",
         "faults.toml: rule 1: latency.ms is 120000, above 60000 (osokit caps a single latency at 60 s)"),
        ("[[rule]]\nlatency = { distribution = 'uniform', min_ms = -1, max_ms = 5 }",
         "faults.toml: rule 1: latency.min_ms must be a non-negative number of milliseconds, not -1"),
        ("[[rule]]\nlatency = { distribution = 'uniform', min_ms = 500, max_ms = 200 }",
         "faults.toml: rule 1: latency.max_ms (200) is below latency.min_ms (500)"),
        ("[[rule]]\nlatency = { distribution = 'normal', mean_ms = 100, sd_ms = 0 }",
         "faults.toml: rule 1: latency.sd_ms must be a positive number of milliseconds, not 0"),
        ("[[rule]]\nhttp_status = 200",
         "faults.toml: rule 1: http_status 200 is not an HTTP error status (400-599)"),
        ("[[rule]]\nhttp_status = '503'",
         "faults.toml: rule 1: http_status '503' is not an HTTP error status (400-599)"),
        ("[[rule]]\ndrop = 'yes'", "faults.toml: rule 1: drop must be true or false, not 'yes'"),
        ("[[rule]]\nfault = 'InterneFout'\nhttp_status = 503",
         "faults.toml: rule 1: fault and http_status: give at most one outcome per rule (fault, http_status or drop)"),
        ("[[rule]]\nhttp_status = 503\ndrop = true",
         "faults.toml: rule 1: http_status and drop: give at most one outcome per rule (fault, http_status or drop)"),
        ("[[rule]]\ndirection = 'out'\nfault = 'InterneFout'",
         "faults.toml: rule 1: fault needs direction = \"in\" (the simulator only answers messages it receives)"),
        ("[[rule]]\ndirection = '*'\nhttp_status = 503",
         "faults.toml: rule 1: http_status needs direction = \"in\" (the simulator only answers messages it receives)"),
        ("[[rule]]\nduplicate = true",
         "faults.toml: rule 1: duplicate needs direction = \"out\" "
         "(only messages the simulator sends can be repeated or delayed)"),
        ("[[rule]]\ndirection = '*'\ndelay_ms = 1000",
         "faults.toml: rule 1: delay needs direction = \"out\" "
         "(only messages the simulator sends can be repeated or delayed)"),
        ("[[rule]]\ndirection = 'out'\ndelay_ms = 1000\ndelay = { ms = 5 }",
         "faults.toml: rule 1: give delay or delay_ms, not both"),
        ("[[rule]]\ndirection = 'out'\ndelay_ms = 0",
         "faults.toml: rule 1: delay_ms must be a positive number of milliseconds, not 0"),
        ("[[rule]]\ndirection = 'out'\ndelay = { distribution = 'uniform', min_ms = 3000, max_ms = 1000 }",
         "faults.toml: rule 1: delay.max_ms (1000) is below delay.min_ms (3000)"),
        ("[[rule]]\ndirection = 'out'\ndrop = true\nduplicate = true",
         "faults.toml: rule 1: drop cannot be combined with duplicate (a dropped message is never delivered)"),
        ("[[rule]]\noperation = 'documentRequest'\nprobability = 0.5",
         "faults.toml: rule 1: the rule has no effect (give latency, fault, http_status, drop, duplicate or delay)"),
        ("[[rule]]\ndrop = false",
         "faults.toml: rule 1: the rule has no effect (give latency, fault, http_status, drop, duplicate or delay)"),
    ],
)  # fmt: skip
def test_validation_errors(text: str, message: str):
    with pytest.raises(FaultProfileError) as excinfo:
        FaultProfile.parse(text, "faults.toml")
    assert str(excinfo.value) == message


def test_a_valid_rule_with_every_field():
    p = FaultProfile.parse(
        "name = 'all'\ndescription = 'd'\nseed = 3\n"
        f"[[rule]]\noperation = 'documentRequest'\nschool = '{RK}'\ndirection = 'in'\nprobability = 0.5\n"
        f"{LOGNORMAL}\nfault = 'TijdelijkNietBeschikbaar'\n"
        "[[rule]]\noperation = 'notificatieRequest'\ndirection = 'out'\nduplicate = true\n"
        "delay = { distribution = 'uniform', min_ms = 0, max_ms = 10 }"
    )
    assert (p.name, p.description, p.seed, len(p.rules)) == ("all", "d", 3, 2)


def test_toml_syntax_error_has_line_and_column():
    with pytest.raises(FaultProfileError, match=r"^faults\.toml: .*\(at line 2, column \d+\)"):
        FaultProfile.parse("seed = 1\n[[rule]\n", "faults.toml")


def test_load_names_a_missing_file(tmp_path: Path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(FaultProfileError, match=f"^{missing}: No such file or directory$"):
        FaultProfile.load(missing)


def test_load_defaults_the_name_to_the_file_name(tmp_path: Path):
    path = tmp_path / "mine.toml"
    path.write_text("[[rule]]\ndrop = true\n", encoding="utf-8")
    p = FaultProfile.load(path)
    assert (p.name, p.seed, p.description) == ("mine", 0, "")


def test_every_catalogue_code_is_accepted():
    for code in CATALOGUE:
        assert profile(f"[[rule]]\nfault = '{code}'").decide("documentRequest", None).fault == code


@pytest.mark.parametrize("block", re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S))
def test_the_documented_examples_parse(block: str):
    FaultProfile.parse(block, "docs/fault-profiles.md")
