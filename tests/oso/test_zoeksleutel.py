import base64

import pytest

from oso import zoeksleutel as z


def test_hmac_scheme_is_deterministic_keyed_and_hides_the_pgn():
    a, b = z.HmacScheme(b"k" * 32), z.HmacScheme(b"j" * 32)
    key = a.zoeksleutel("999990005")
    assert key == a.zoeksleutel("999990005") != b.zoeksleutel("999990005")
    assert len(base64.b64decode(key)) == 32 and "999990005" not in key and not z.pgns_in_clear(key)
    assert a.pgnfrag("999990005") == "0005"


def test_plain_scheme_puts_the_pgn_in_clear_and_is_detected():
    key = z.PlainScheme().zoeksleutel("246263738")
    assert key == "plain:246263738" and z.pgns_in_clear(key) == ["246263738"]


def test_pgns_in_clear_finds_valid_numbers_only():
    assert z.pgns_in_clear("<bsn>246263738</bsn> 123456789 1246263738 101211151") == ["246263738", "101211151"]


def test_make_and_unknown_scheme():
    assert z.make("plain", b"").name == "plain" and z.make("hmac-sha256", b"x").name == "hmac-sha256"
    with pytest.raises(ValueError, match="unknown zoeksleutel scheme"):
        z.make("rot13", b"")
