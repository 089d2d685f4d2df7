"""A throwaway test PKI for mutual TLS: one CA, one server certificate, one client certificate per vendor.

OSO identifies a software vendor by its client certificate. The simulator does the same, so a vendor's
LAS must present the certificate made here for its vendor id (the subject CN). Everything here is for
tests only: keys are unencrypted, the CA signs whatever it is asked to, and nothing is revocable.
**Never use these files outside a test setup.**

Layout of a PKI directory (all PEM)::

    ca.pem  ca.key  server.pem  server.key  vendors/<id>.pem  vendors/<id>.key

Keys are EC P-256 (generated in milliseconds), private key files are mode 0600. Certificates start one
day in the past so a slightly wrong clock on either side does not make a fresh certificate "not yet valid".
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from oso.errors import UserError

CA_NAME = "osokit test CA"
ROGUE_CA_NAME = "osokit rogue CA (not trusted)"
SERVER_NAME = "osokit test server"
ORGANISATION = "osokit test PKI"
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
CA_DAYS = 3650
BACKDATE = dt.timedelta(days=1)
VENDOR_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
ADMIN = "osokit-admin"  # the CN of the admin client certificate: the admin API and pages, never a vendor


class PkiError(UserError):
    """The test PKI cannot be created or loaded; the message says what to do."""


@dataclass(frozen=True)
class Pki:
    """Where the files of one test PKI are; :meth:`load` checks they exist."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path

    @classmethod
    def at(cls, directory: Path) -> Pki:
        """The paths of a PKI in ``directory``, whether or not the files exist yet."""
        d = Path(directory)
        return cls(d, d / "ca.pem", d / "ca.key", d / "server.pem", d / "server.key")

    @classmethod
    def load(cls, directory: Path) -> Pki:
        """The PKI in ``directory``; refuses one that was never initialised, so callers fail early and clearly."""
        pki = cls.at(directory)
        missing = [p.name for p in (pki.ca_cert, pki.ca_key, pki.server_cert, pki.server_key) if not p.is_file()]
        if missing:
            raise PkiError(
                f"no test PKI in {pki.directory} (missing {', '.join(missing)}): run `osokit pki init` first"
            )
        return pki

    @property
    def vendor_dir(self) -> Path:
        return self.directory / "vendors"

    def vendor_cert(self, vendor: str) -> Path:
        return self.vendor_dir / f"{check_vendor_id(vendor)}.pem"

    def vendor_key(self, vendor: str) -> Path:
        return self.vendor_dir / f"{check_vendor_id(vendor)}.key"

    @property
    def admin_cert(self) -> Path:
        return self.directory / "admin.pem"

    @property
    def admin_key(self) -> Path:
        return self.directory / "admin.key"

    def vendors(self) -> tuple[str, ...]:
        """The vendor ids that have both a certificate and a key, sorted."""
        if not self.vendor_dir.is_dir():
            return ()
        ids = (p.stem for p in self.vendor_dir.glob("*.pem") if VENDOR_ID.fullmatch(p.stem))
        return tuple(sorted(v for v in ids if self.vendor_key(v).is_file()))


def check_vendor_id(vendor: str) -> str:
    """Vendor ids become file names and certificate CNs, so they are kept to a safe, lowercase alphabet."""
    if not isinstance(vendor, str) or not VENDOR_ID.fullmatch(vendor):
        raise PkiError(
            f"invalid vendor id {vendor!r}: use 1-63 characters a-z, 0-9 and '-', starting with a letter or digit"
        )
    if vendor == ADMIN:
        raise PkiError(f"'{ADMIN}' is the admin certificate's name, not a vendor id")
    return vendor


def init_pki(
    directory: Path,
    vendors: Sequence[str],
    *,
    hosts: Sequence[str] = DEFAULT_HOSTS,
    days: int = 825,
    force: bool = False,
) -> Pki:
    """Create (or complete) the test PKI in ``directory`` and return it.

    Idempotent so that ``osokit pki init`` can be run again to add vendors: an existing CA is reused and
    existing vendor certificates are kept, since vendors may already have installed them (unless they no
    longer work: expired, from another CA, or without their key). ``force=True``
    starts over with a new CA and reissues the server certificate and every vendor certificate (the
    requested ones and those already present), because certificates of the old CA would no longer verify.
    The server certificate is also reissued when ``hosts`` change. ``days`` is the validity of the server
    and vendor certificates; the CA lives at least ten years.
    """
    if isinstance(vendors, str):
        raise PkiError(f"vendors must be a list of vendor ids, not the string {vendors!r}")
    wanted = [check_vendor_id(v) for v in vendors]
    if days < 1:
        raise PkiError(f"days must be at least 1, not {days}")
    if not hosts:
        raise PkiError("the server certificate needs at least one host name or IP address")
    pki = Pki.at(directory)
    try:
        pki.vendor_dir.mkdir(parents=True, exist_ok=True)
        ca_key, ca_cert = _ensure_ca(pki, days=max(days, CA_DAYS), force=force)
        _ensure_server(pki, ca_key, ca_cert, list(hosts), days=days, force=force)
        for vendor in dict.fromkeys([*wanted, *(pki.vendors() if force else ())]):
            _ensure_client(pki.vendor_cert(vendor), pki.vendor_key(vendor), vendor, ca_key, ca_cert, days, force)
        _ensure_client(pki.admin_cert, pki.admin_key, ADMIN, ca_key, ca_cert, days, force)
    except OSError as exc:
        raise PkiError(f"cannot write the test PKI in {pki.directory}: {exc}") from exc
    return pki


def issue_client_certificate(
    pki: Pki, vendor: str, out_dir: Path, *, expired: bool = False, rogue_ca: bool = False
) -> tuple[Path, Path]:
    """Write a client certificate the simulator must refuse, for tests: (cert path, key path).

    ``expired``: signed by the test CA but valid only in the past. ``rogue_ca``: signed by a fresh CA the
    simulator does not trust. Without either flag it is an ordinary, valid certificate for ``vendor``.
    """
    check_vendor_id(vendor)
    if rogue_ca:
        issuer_key = _new_key()
        issuer = _ca_certificate(issuer_key, ROGUE_CA_NAME, _now(), days=CA_DAYS)
    else:
        loaded = Pki.load(pki.directory)
        issuer_key, issuer = _read_key(loaded.ca_key), _read_cert(loaded.ca_cert)
    start = _now() - dt.timedelta(days=30) if expired else _now()
    days = 28 if expired else 825  # expired: from 31 to 3 days ago, entirely in the past
    key = _new_key()
    cert = _client_certificate(key, vendor, issuer_key, issuer, start, days=days)
    tag = "-".join(["expired"] * expired + ["rogue"] * rogue_ca) or "valid"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = out / f"{vendor}-{tag}.pem", out / f"{vendor}-{tag}.key"
    _write_key(key_path, key)
    _write_cert(cert_path, cert)
    return cert_path, key_path


def vendor_of(cert_pem_or_der: bytes) -> str | None:
    """The vendor id a certificate names (its subject CN); None if unreadable or the CN is no vendor id."""
    cert = _parse_certificate(cert_pem_or_der)
    if cert is None:
        return None
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = names[0].value if names else None
    return cn if isinstance(cn, str) and VENDOR_ID.fullmatch(cn) else None


# --- creating the parts -----------------------------------------------------------------------------


def _ensure_ca(pki: Pki, *, days: int, force: bool) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    if not force and pki.ca_cert.is_file() and pki.ca_key.is_file():
        try:
            return _read_key(pki.ca_key), _read_cert(pki.ca_cert)
        except ValueError as exc:
            raise PkiError(f"the CA in {pki.directory} is unreadable ({exc}); use --force to start over") from exc
    key = _new_key()
    cert = _ca_certificate(key, CA_NAME, _now(), days=days)
    _write_key(pki.ca_key, key)
    _write_cert(pki.ca_cert, cert)
    return key, cert


def _ensure_server(
    pki: Pki,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    hosts: list[str],
    *,
    days: int,
    force: bool,
) -> None:
    sans = [_san(h) for h in hosts]
    if not force and _keep(pki.server_cert, pki.server_key, ca_cert, sans=sans):
        return
    key = _new_key()
    cert = _leaf(
        _builder(_name(SERVER_NAME), key, ca_cert.subject, _now(), days)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False),
        ca_key,
        ca_cert,
    )
    _write_key(pki.server_key, key)
    _write_cert(pki.server_cert, cert)


def _ensure_client(
    cert: Path,
    key_path: Path,
    name: str,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    days: int,
    force: bool,
) -> None:
    """A client certificate (a vendor's, or the admin's) with CN ``name``, kept if it still works."""
    if not force and _keep(cert, key_path, ca_cert):
        return
    key = _new_key()
    _write_key(key_path, key)
    _write_cert(cert, _client_certificate(key, name, ca_key, ca_cert, _now(), days=days))


def _keep(
    cert_path: Path, key_path: Path, ca_cert: x509.Certificate, *, sans: list[x509.GeneralName] | None = None
) -> bool:
    """Whether an existing certificate still serves: issued by this CA, not expiring, its key beside it, same SANs."""
    try:
        cert = _read_cert(cert_path)
        cert.verify_directly_issued_by(ca_cert)
        key = _read_key(key_path)
    except (OSError, ValueError, TypeError, InvalidSignature):
        return False
    if cert.not_valid_after_utc < _now() + dt.timedelta(days=1) or key.public_key() != cert.public_key():
        return False
    return sans is None or set(_sans(cert)) == set(sans)


def _sans(cert: x509.Certificate) -> list[x509.GeneralName]:
    try:
        return list(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        return []


def _client_certificate(
    key: ec.EllipticCurvePrivateKey,
    vendor: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate,
    start: dt.datetime,
    *,
    days: int,
) -> x509.Certificate:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, vendor),
            x509.NameAttribute(NameOID.COMMON_NAME, vendor),
        ]
    )
    builder = _builder(subject, key, issuer.subject, start, days).add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
    )
    return _leaf(builder, issuer_key, issuer)


def _ca_certificate(key: ec.EllipticCurvePrivateKey, name: str, start: dt.datetime, *, days: int) -> x509.Certificate:
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        _builder(_name(name), key, _name(name), start, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
    )
    return builder.sign(key, hashes.SHA256())


def _leaf(
    builder: x509.CertificateBuilder, issuer_key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate
) -> x509.Certificate:
    """Add what strict verifiers (Python 3.13's VERIFY_X509_STRICT) require of an end-entity certificate, and sign."""
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def _builder(
    subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, start: dt.datetime, days: int
) -> x509.CertificateBuilder:
    not_before = start - BACKDATE
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + dt.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _name(common_name: str) -> x509.Name:
    """Most significant first (O, then CN), as DER names are ordered; RFC 4514 prints them the other way round."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _san(host: str) -> x509.GeneralName:
    """An IP address SAN for literal addresses (what TLS clients match IPs against), a DNS SAN otherwise."""
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


# --- files --------------------------------------------------------------------------------------------


def _parse_certificate(data: bytes) -> x509.Certificate | None:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except (ValueError, TypeError, AttributeError):
        return None


def _read_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _read_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path.name} is not an EC private key")
    return key


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    _write_atomic(path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write_atomic(path, pem, mode=0o600)


def _write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    """Write via a temporary file so an interrupted run never leaves half a key; the mode is set before any byte."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp creates it 0600
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
