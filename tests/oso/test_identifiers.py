from hypothesis import given
from hypothesis import strategies as st

from oso import identifiers as ids


def test_bsn_11_proef_known_values():
    assert ids.is_valid_bsn("246263738")  # the pupil of the official POVO opt-out example
    assert ids.is_valid_bsn("111222333")
    assert not ids.is_valid_bsn("123456789")
    assert not ids.is_valid_bsn("000000000")
    assert not ids.is_valid_bsn("24626373")  # eight digits
    assert not ids.is_valid_bsn("24626373a")
    assert not ids.is_valid_bsn("２４６２６３７３８")  # full-width digits are not ASCII digits


def test_onderwijsnummer_check():
    assert ids.is_valid_onderwijsnummer("101211151")  # Kennisnet sandbox pupil
    assert not ids.is_valid_onderwijsnummer("101234567")
    assert not ids.is_valid_bsn("101211151")
    assert ids.pupil_number_kind("101211151") is ids.PupilNumberKind.ONDERWIJSNUMMER
    assert ids.pupil_number_kind("246263738") is ids.PupilNumberKind.BSN
    assert ids.pupil_number_kind("123456789") is None


@given(st.integers(0, ids.BSN_BLOCK_SIZE - 1))
def test_synthetic_bsn_is_valid_and_in_block(i):
    bsn = ids.synthetic_bsn(i)
    assert ids.is_valid_bsn(bsn) and bsn.startswith(ids.BSN_BLOCK_PREFIX)
    assert ids.in_synthetic_block(bsn)


@given(st.integers(0, ids.ONDERWIJSNUMMER_BLOCK_SIZE - 1))
def test_synthetic_onderwijsnummer_is_valid_and_in_block(i):
    number = ids.synthetic_onderwijsnummer(i)
    assert ids.is_valid_onderwijsnummer(number) and number.startswith(ids.ONDERWIJSNUMMER_BLOCK_PREFIX)


def test_synthetic_blocks_are_injective_over_a_range():
    numbers = [ids.synthetic_bsn(i) for i in range(0, 50_000)]
    assert len(set(numbers)) == len(numbers)


def test_block_index_out_of_range_is_refused():
    for bad in (-1, ids.BSN_BLOCK_SIZE):
        try:
            ids.synthetic_bsn(bad)
        except ValueError as exc:
            assert "outside the synthetic block" in str(exc)
        else:
            raise AssertionError("expected ValueError")


def test_real_looking_numbers_are_outside_the_block():
    assert not ids.in_synthetic_block("246263738")
    assert not ids.in_synthetic_block("990000001")  # right prefix, fails the 11-proef


def test_brin_vestiging_routeringskenmerk_formats():
    assert ids.is_valid_brin("00YY") and not ids.is_valid_brin("0YYY") and not ids.is_valid_brin("00yy")
    assert ids.is_valid_vestigingscode("00") and not ids.is_valid_vestigingscode("0")
    assert ids.is_valid_routeringskenmerk("0000000700000YY00931")
    assert not ids.is_valid_routeringskenmerk("0000000700000YY0093")


def test_mask_keeps_only_last_two_digits():
    assert ids.mask_pgn("246263738") == "*******38"
