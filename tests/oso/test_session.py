"""The session lifecycle: unit tests per transition, and property tests that no sequence of
events reaches an illegal state."""

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oso import faults
from oso import session as s
from oso.faults import OsoFault
from tests.conftest import fuzz_budgets, fuzz_settings

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TTL = timedelta(hours=4)
GRANTED = s.Claim("90AA", "90AZ", "000000000190AZ000001", "overstapdossier", "zoeksleutel:abc", None)


def fresh():
    return s.grant("sid", GRANTED, T0)


def code_of(fn, *args):
    with pytest.raises(OsoFault) as info:
        fn(*args)
    return info.value.code


def test_grant_opens_a_session():
    session = fresh()
    assert session.state is s.State.AANGEVRAAGD and session.controles == 0 and not session.specific_ap


def test_grant_refuses_unknown_kind_and_binnenbrin_across_brins():
    unknown = s.Claim("90AA", "90AZ", "000000000190AZ000001", "overstap", "k", None)
    assert code_of(s.grant, "x", unknown, T0) == faults.ONGELDIGE_OVERDRACHTSOORT
    cross = s.Claim("90AA", "90AZ", "000000000190AZ000001", "overdrachtbinnenbrin", "k", None)
    assert code_of(s.grant, "x", cross, T0) == faults.GEEN_RELATIE_MET_DOEL


def test_controle_succeeds_repeatedly_and_counts():
    once = s.controle(fresh(), GRANTED, T0 + timedelta(minutes=1), TTL)
    twice = s.controle(once, GRANTED, T0 + timedelta(minutes=2), TTL)
    assert twice.state is s.State.GECONTROLEERD and twice.controles == 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"doel_rk": "000000000190AZ000002"}, faults.ONBEKEND_AANLEVERPUNT),
        ({"bron_brin": "90AB"}, faults.SESSIE_AFWIJKEND),
        ({"doel_brin": "90AY"}, faults.SESSIE_AFWIJKEND),
        ({"overdrachtsoort": "overdrachtbinnenbrin"}, faults.SESSIE_AFWIJKEND),
        ({"sleutel": "zoeksleutel:other"}, faults.SESSIE_AFWIJKEND),
    ],
)
def test_controle_refuses_a_claim_that_differs(change, code):
    claim = s.Claim(**(GRANTED.__dict__ | change))
    assert code_of(s.controle, fresh(), claim, T0, TTL) == code


def test_specific_aanleverpunt_must_match():
    specific = s.grant("sid", s.Claim(**(GRANTED.__dict__ | {"bron_rk": "000000000190AA000001"})), T0)
    other = s.Claim(**(GRANTED.__dict__ | {"bron_rk": "000000000190AA000002"}))
    assert code_of(s.controle, specific, other, T0, TTL) == faults.SESSIE_AFWIJKEND


def test_afmelding_once_then_reedsafgemeld():
    closed = s.afmelding(fresh(), "OverdrachtGeslaagd", GRANTED.doel_rk, T0, TTL)
    assert closed.state is s.State.AFGEMELD and closed.resultaat == "OverdrachtGeslaagd"
    assert code_of(s.afmelding, closed, "OverdrachtGeslaagd", GRANTED.doel_rk, T0, TTL) == faults.SESSIE_REEDS_AFGEMELD
    assert code_of(s.controle, closed, GRANTED, T0, TTL) == faults.SESSIE_REEDS_AFGEMELD


def test_afmelding_checks_result_and_doel():
    assert code_of(s.afmelding, fresh(), "Prima", GRANTED.doel_rk, T0, TTL) == faults.ONGELDIG_RESULTAAT
    assert code_of(s.afmelding, fresh(), "OverdrachtGeslaagd", "X" * 20, T0, TTL) == faults.ONBEKEND_AANLEVERPUNT


def test_idle_session_expires():
    late = T0 + TTL + timedelta(seconds=1)
    assert s.expire(fresh(), late, TTL).state is s.State.VERLOPEN
    assert s.expire(fresh(), T0 + TTL, TTL).state is s.State.AANGEVRAAGD
    assert code_of(s.controle, fresh(), GRANTED, late, TTL) == faults.SESSIE_VERLOPEN
    # activity keeps a session alive
    checked = s.controle(fresh(), GRANTED, T0 + timedelta(hours=3), TTL)
    assert s.expire(checked, T0 + timedelta(hours=6), TTL).state is s.State.GECONTROLEERD


# --- property tests ------------------------------------------------------------------------------

claims = st.builds(
    s.Claim,
    bron_brin=st.sampled_from(["90AA", "90AB"]),
    doel_brin=st.sampled_from(["90AZ", "90AY"]),
    doel_rk=st.sampled_from([GRANTED.doel_rk, "000000000190AZ000002"]),
    overdrachtsoort=st.sampled_from(["overstapdossier", "overdrachtbinnenbrin"]),
    sleutel=st.sampled_from(["zoeksleutel:abc", "zoeksleutel:def"]),
    bron_rk=st.none(),
)
events = st.lists(
    st.one_of(
        st.tuples(st.just("controle"), claims, st.integers(0, 6 * 3600)),
        st.tuples(
            st.just("afmelding"),
            st.sampled_from(faults.RESULTATEN + ("Onzin",)),
            st.sampled_from([GRANTED.doel_rk, "000000000190AZ000002"]),
            st.integers(0, 6 * 3600),
        ),
        st.tuples(st.just("expire"), st.integers(0, 6 * 3600)),
    ),
    max_size=25,
)


@settings(max_examples=400, deadline=None)
@given(events)
def test_no_sequence_of_events_reaches_an_illegal_state(sequence):
    session = fresh()
    clock = T0
    for event in sequence:
        clock += timedelta(seconds=event[-1])
        before = session
        try:
            if event[0] == "controle":
                session = s.controle(session, event[1], clock, TTL)
            elif event[0] == "afmelding":
                session = s.afmelding(session, event[1], event[2], clock, TTL)
            else:
                session = s.expire(session, clock, TTL)
        except OsoFault as fault:
            assert fault.code in faults.CATALOGUE
            assert session is before  # a refused event changes nothing
            continue
        # Final states are final: nothing moves a closed or expired session.
        if before.state.final:
            assert session == before
        # A closed session has exactly one result, from the table, and it never changes.
        if session.state is s.State.AFGEMELD:
            assert session.resultaat in faults.RESULTATEN and session.closed is not None
            if before.state is s.State.AFGEMELD:
                assert session.resultaat == before.resultaat
        else:
            assert session.resultaat is None and session.closed is None
        # Counters and times only move forward; what was granted never changes.
        assert session.controles >= before.controles and session.last_seen >= before.last_seen
        assert session.granted == before.granted and session.sessie_id == before.sessie_id
        if session.state is s.State.GECONTROLEERD:
            assert session.controles >= 1


any_claims = st.builds(
    s.Claim,
    bron_brin=st.sampled_from(["90AA", "90AB"]),
    doel_brin=st.sampled_from(["90AA", "90AZ"]),
    doel_rk=st.sampled_from([GRANTED.doel_rk, "000000000190AZ000002"]),
    overdrachtsoort=st.sampled_from(s.OVERDRACHTSOORTEN + ("overstap",)),
    sleutel=st.sampled_from(["zoeksleutel:abc", "koppelsleutel:def"]),
    bron_rk=st.sampled_from([None, "000000000190AA000001", "000000000190AA000002"]),
)


def _matches(granted: s.Claim, claim: s.Claim, specific: bool) -> bool:
    same = (claim.bron_brin, claim.doel_brin, claim.doel_rk, claim.overdrachtsoort, claim.sleutel) == (
        granted.bron_brin,
        granted.doel_brin,
        granted.doel_rk,
        granted.overdrachtsoort,
        granted.sleutel,
    )
    return same and (not specific or claim.bron_rk == granted.bron_rk)


@pytest.mark.parametrize("budget", fuzz_budgets(200, 2000))
def test_every_allowed_event_happens_and_every_refusal_names_its_reason(budget):
    """The other half of the property above: a state machine that refused everything would keep every
    invariant. Here what the lifecycle allows must succeed, with the effect it promises, and a refusal
    must give the reason that applies first (closed, then expired, then what differs)."""

    @fuzz_settings(budget)
    @given(any_claims, st.data())
    def check(granted, data):
        try:
            session = s.grant("sid", granted, T0)
        except OsoFault as fault:
            binnen = granted.overdrachtsoort == "overdrachtbinnenbrin" and granted.bron_brin != granted.doel_brin
            assert granted.overdrachtsoort not in s.OVERDRACHTSOORTEN or binnen
            assert fault.code == (faults.GEEN_RELATIE_MET_DOEL if binnen else faults.ONGELDIGE_OVERDRACHTSOORT)
            return
        assert session.specific_ap == (granted.bron_rk is not None)
        clock = T0
        for _ in range(data.draw(st.integers(1, 12))):
            clock += timedelta(seconds=data.draw(st.sampled_from([0, 60, 3 * 3600, 4 * 3600, 4 * 3600 + 1])))
            idle = clock - session.last_seen > TTL
            blocked = faults.SESSIE_REEDS_AFGEMELD if session.state is s.State.AFGEMELD else None
            if blocked is None and (session.state is s.State.VERLOPEN or idle):
                blocked = faults.SESSIE_VERLOPEN
            event = data.draw(st.sampled_from(["controle", "afmelding", "expire"]))
            if event == "expire":
                after = s.expire(session, clock, TTL)
                expected = s.State.VERLOPEN if idle and not session.state.final else session.state
                assert after.state is expected
                session = after
                continue
            if event == "controle":
                claim = data.draw(st.just(granted) | any_claims)
                ok = _matches(granted, claim, session.specific_ap)
                if claim.doel_rk != granted.doel_rk:
                    reason = faults.ONBEKEND_AANLEVERPUNT
                else:
                    reason = None if ok else faults.SESSIE_AFWIJKEND
                call = partial(s.controle, session, claim, clock, TTL)
            else:
                resultaat = data.draw(st.sampled_from(faults.RESULTATEN + ("Onzin",)))
                doel_rk = data.draw(st.sampled_from([granted.doel_rk, "000000000190AZ000002"]))
                if doel_rk != granted.doel_rk:
                    reason = faults.ONBEKEND_AANLEVERPUNT
                else:
                    reason = None if resultaat in faults.RESULTATEN else faults.ONGELDIG_RESULTAAT
                call = partial(s.afmelding, session, resultaat, doel_rk, clock, TTL)
            reason = blocked or reason
            try:
                after = call()
            except OsoFault as fault:
                assert fault.code == reason, (event, fault.code, reason)
                continue
            assert reason is None, (event, reason)
            assert after.last_seen == clock
            if event == "controle":
                assert after.state is s.State.GECONTROLEERD and after.controles == session.controles + 1
            else:
                assert after.state is s.State.AFGEMELD and after.resultaat == resultaat and after.closed == clock
            session = after

    check()
