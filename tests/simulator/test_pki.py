"""The test PKI: files and modes, idempotence, vendor ids, and the certificates made to be refused."""

from __future__ import annotations

import datetime as dt
import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simulator.pki import CA_NAME, Pki, PkiError, init_pki, issue_client_certificate, vendor_of

pytestmark = pytest.mark.timeout(30)

VENDORS = ["reference", "vendor-a"]


def cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture()
def pki(tmp_path: Path) -> Pki:
    return init_pki(tmp_path / "pki", VENDORS)


def test_init_creates_every_file_with_private_keys_0600(pki: Pki) -> None:
    assert set(snapshot(pki.directory)) == {
        "ca.pem",
        "ca.key",
        "server.pem",
        "server.key",
        "admin.pem",
        "admin.key",
        "vendors/reference.pem",
        "vendors/reference.key",
        "vendors/vendor-a.pem",
        "vendors/vendor-a.key",
    }
    for key in (pki.ca_key, pki.server_key, pki.admin_key, pki.vendor_key("reference"), pki.vendor_key("vendor-a")):
        assert mode(key) == 0o600, key
        assert b"ENCRYPTED" not in key.read_bytes()
        serialization.load_pem_private_key(key.read_bytes(), password=None)
    assert pki.vendors() == ("reference", "vendor-a")
    assert Pki.load(pki.directory) == pki


def test_ca_server_and_vendor_certificates(pki: Pki) -> None:
    ca = cert(pki.ca_cert)
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CA_NAME
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    ca.verify_directly_issued_by(ca)

    server = cert(pki.server_cert)
    server.verify_directly_issued_by(ca)
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(sans.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert ExtendedKeyUsageOID.SERVER_AUTH in server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value

    now = dt.datetime.now(dt.UTC)
    for vendor in VENDORS:
        client = cert(pki.vendor_cert(vendor))
        client.verify_directly_issued_by(ca)
        assert client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == vendor
        eku = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert ExtendedKeyUsageOID.CLIENT_AUTH in eku
        assert client.not_valid_before_utc <= now - dt.timedelta(hours=23)  # backdated against clock skew
        assert client.not_valid_after_utc > now + dt.timedelta(days=800)


def test_vendor_of_reads_pem_and_der(pki: Pki) -> None:
    pem = pki.vendor_cert("vendor-a").read_bytes()
    der = cert(pki.vendor_cert("vendor-a")).public_bytes(serialization.Encoding.DER)
    assert vendor_of(pem) == vendor_of(der) == "vendor-a"
    assert vendor_of(b"not a certificate") is None
    assert vendor_of(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") is None
    assert vendor_of(pki.ca_cert.read_bytes()) is None  # "osokit test CA" is no vendor id


def test_running_init_again_changes_nothing(pki: Pki) -> None:
    before = snapshot(pki.directory)
    assert init_pki(pki.directory, VENDORS) == pki
    assert snapshot(pki.directory) == before


def test_adding_a_vendor_later_adds_only_that_vendor(pki: Pki) -> None:
    before = snapshot(pki.directory)
    init_pki(pki.directory, ["vendor-b"])
    after = snapshot(pki.directory)
    assert set(after) - set(before) == {"vendors/vendor-b.pem", "vendors/vendor-b.key"}
    assert {name: after[name] for name in before} == before
    cert(pki.vendor_cert("vendor-b")).verify_directly_issued_by(cert(pki.ca_cert))
    assert Pki.load(pki.directory).vendors() == ("reference", "vendor-a", "vendor-b")


def test_force_starts_over_and_reissues_every_vendor(pki: Pki) -> None:
    before = snapshot(pki.directory)
    init_pki(pki.directory, ["vendor-b"], force=True)
    after = snapshot(pki.directory)
    assert after["ca.pem"] != before["ca.pem"] and after["ca.key"] != before["ca.key"]
    ca = cert(pki.ca_cert)
    for path in (pki.server_cert, *(pki.vendor_cert(v) for v in ("reference", "vendor-a", "vendor-b"))):
        cert(path).verify_directly_issued_by(ca)


def test_new_hosts_reissue_only_the_server_certificate(pki: Pki) -> None:
    before = snapshot(pki.directory)
    init_pki(pki.directory, VENDORS, hosts=["localhost", "simulator.test", "10.0.0.7"])
    after = snapshot(pki.directory)
    assert {name for name in after if after[name] != before[name]} == {"server.pem", "server.key"}
    sans = cert(pki.server_cert).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost", "simulator.test"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.0.0.7")]


@pytest.mark.parametrize("breakage", ["other-ca", "expired", "key-mismatch", "key-missing"])
def test_a_vendor_certificate_that_no_longer_works_is_replaced(pki: Pki, tmp_path: Path, breakage: str) -> None:
    cert_path, key_path = pki.vendor_cert("vendor-a"), pki.vendor_key("vendor-a")
    if breakage == "other-ca":
        other = init_pki(tmp_path / "other", ["vendor-a"])
        cert_path.write_bytes(other.vendor_cert("vendor-a").read_bytes())
        key_path.write_bytes(other.vendor_key("vendor-a").read_bytes())
    elif breakage == "expired":
        old_cert, old_key = issue_client_certificate(pki, "vendor-a", tmp_path, expired=True)
        cert_path.write_bytes(old_cert.read_bytes())
        key_path.write_bytes(old_key.read_bytes())
    elif breakage == "key-mismatch":
        key_path.write_bytes(pki.vendor_key("reference").read_bytes())
    else:
        key_path.unlink()
    reference = pki.vendor_cert("reference").read_bytes()
    init_pki(pki.directory, ["vendor-a"])
    renewed = cert(cert_path)
    renewed.verify_directly_issued_by(cert(pki.ca_cert))
    assert renewed.not_valid_after_utc > dt.datetime.now(dt.UTC)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert key.public_key() == renewed.public_key()
    assert mode(key_path) == 0o600
    assert pki.vendor_cert("reference").read_bytes() == reference


def test_vendors_must_be_a_list_not_a_string(tmp_path: Path) -> None:
    with pytest.raises(PkiError, match="list of vendor ids"):
        init_pki(tmp_path, "vendor-a")


@pytest.mark.parametrize(
    "bad", ["", "Vendor-A", "-vendor", "vendor_a", "vendor.a", "../etc", "a/b", "a" * 64, "é", "vendor\n"]
)
def test_invalid_vendor_ids_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(PkiError, match="invalid vendor id"):
        init_pki(tmp_path / "pki", ["vendor-a", bad])
    assert not (tmp_path / "pki").exists()  # checked before anything is written


def test_longest_vendor_id_is_accepted(tmp_path: Path) -> None:
    vendor = "a" * 63
    pki = init_pki(tmp_path / "pki", [vendor, "0-9"])
    assert vendor_of(pki.vendor_cert(vendor).read_bytes()) == vendor


def test_load_without_init_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(PkiError, match="run `osokit pki init` first") as missing:
        Pki.load(tmp_path)
    assert "ca.pem" in str(missing.value)


def test_expired_certificate_is_from_the_ca_but_entirely_in_the_past(pki: Pki, tmp_path: Path) -> None:
    cert_path, key_path = issue_client_certificate(pki, "vendor-a", tmp_path / "bad", expired=True)
    expired = cert(cert_path)
    expired.verify_directly_issued_by(cert(pki.ca_cert))
    now = dt.datetime.now(dt.UTC)
    assert expired.not_valid_before_utc < expired.not_valid_after_utc < now - dt.timedelta(days=1)
    assert vendor_of(cert_path.read_bytes()) == "vendor-a"
    assert mode(key_path) == 0o600
    assert cert_path.parent == tmp_path / "bad"


def test_rogue_certificate_names_the_vendor_but_not_our_ca(pki: Pki, tmp_path: Path) -> None:
    cert_path, _ = issue_client_certificate(pki, "vendor-a", tmp_path, rogue_ca=True)
    rogue = cert(cert_path)
    assert vendor_of(cert_path.read_bytes()) == "vendor-a"
    assert rogue.issuer != cert(pki.ca_cert).subject
    with pytest.raises((InvalidSignature, ValueError)):
        rogue.verify_directly_issued_by(cert(pki.ca_cert))
    assert rogue.not_valid_after_utc > dt.datetime.now(dt.UTC)


def test_issuing_needs_an_initialised_pki(tmp_path: Path) -> None:
    with pytest.raises(PkiError, match="osokit pki init"):
        issue_client_certificate(Pki.at(tmp_path / "none"), "vendor-a", tmp_path)
