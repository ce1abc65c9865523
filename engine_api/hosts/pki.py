"""The engine's certificate authority: it signs host agents' requests and the engine's own certificate.

Files live in ``<data dir>/pki`` (0700, keys 0600), made at first start:
``ca.pem``/``ca.key`` (hosts and the engine), ``qemu-ca.pem``/``qemu-ca.key`` (kept apart as oVirt does, for
guest consoles and migration), ``engine.pem``/``engine.key`` (the engine as TLS client of its agents and as TLS
server of the API). Certificates are X.509 v3 with EC P-256 keys, subject ``O=<org>/CN=<name>`` and a subject
alternative name naming the address (``IP:`` for an address, ``DNS:`` for a name), as oVirt's host enrollment.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from engine_api.protocol.tls import client_context

VALIDITY_DAYS = 1827  # oVirt's VdsCertificateValidityInDays
CA_VALIDITY_DAYS = 3652
Key = ec.EllipticCurvePrivateKey


class PkiError(ValueError):
    """A request that cannot be signed (malformed, or with a bad signature)."""


# ---------------------------------------------------------------- pure functions


def new_key() -> Key:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: Key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(org: str, common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])


def san(names: list[str] | tuple[str, ...]) -> x509.SubjectAlternativeName:
    """``IP:`` for each address, ``DNS:`` for each host name (oVirt's CertificateUtils.getSan)."""
    entries: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _validity(days: int) -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    return now - dt.timedelta(days=1), now + dt.timedelta(days=days)  # as pki-enroll-request: startdate now-1day


def make_ca(org: str, common_name: str, days: int = CA_VALIDITY_DAYS) -> tuple[Key, x509.Certificate]:
    key = new_key()
    start, end = _validity(days)
    name = _name(org, common_name)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def sign(ca_key: Key, ca_cert: x509.Certificate, public_key, org: str, names: list[str] | tuple[str, ...],
         days: int = VALIDITY_DAYS) -> x509.Certificate:
    """A certificate for ``public_key`` with subject ``O=org/CN=names[0]`` and every name in its SAN, good for
    both TLS server and client authentication (an agent is a server to the engine and a client of its peers)."""
    start, end = _validity(days)
    return (x509.CertificateBuilder().subject_name(_name(org, names[0])).issuer_name(ca_cert.subject)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                         data_encipherment=False, key_agreement=True, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(san(names), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))


def load_request(pem: bytes) -> x509.CertificateSigningRequest:
    try:
        csr = x509.load_pem_x509_csr(pem)
    except ValueError as e:
        raise PkiError(f"not a PEM certificate signing request: {e}") from None
    if not csr.is_signature_valid:
        raise PkiError("the certificate signing request's signature is not valid")
    return csr


def names_of(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(n) for n in ext.get_values_for_type(x509.IPAddress)] + ext.get_values_for_type(x509.DNSName)


def names_in(pem: bytes) -> list[str]:
    """The names a PEM certificate's SAN holds."""
    return names_of(x509.load_pem_x509_certificate(pem))


def write_pem(path: Path, data: bytes, private: bool = False) -> None:
    """Write atomically; private files are never readable by anyone but the owner, not even for a moment."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def local_names() -> list[str]:
    """What a client on this machine may call the engine by."""
    return list(dict.fromkeys([socket.getfqdn(), socket.gethostname(), "localhost", "127.0.0.1", "::1"]))


# ---------------------------------------------------------------- the engine's PKI directory


class EnginePki:
    """The engine's CA and certificates in one directory (made at first use, private to the engine's user)."""

    def __init__(self, directory: str | Path, org: str = "vdc", days: int = VALIDITY_DAYS):
        self.dir = Path(directory)
        self.org = org
        self.days = days
        self._lock = threading.Lock()
        self._client: ssl.SSLContext | None = None
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.dir.chmod(0o700)
        self._ca = self._ensure_ca("ca", f"{org} CA")
        self._qemu_ca = self._ensure_ca("qemu-ca", f"{org} QEMU CA")
        self.engine_certificate()

    def _ensure_ca(self, stem: str, common_name: str) -> tuple[Key, x509.Certificate]:
        key_path, cert_path = self.dir / f"{stem}.key", self.dir / f"{stem}.pem"
        if not key_path.exists() or not cert_path.exists():
            key, cert = make_ca(self.org, common_name)
            write_pem(key_path, key_pem(key), private=True)
            write_pem(cert_path, cert_pem(cert))
        loaded = serialization.load_pem_private_key(key_path.read_bytes(), None)
        if not isinstance(loaded, Key):
            raise PkiError(f"{key_path} does not hold an elliptic curve key")
        return loaded, x509.load_pem_x509_certificate(cert_path.read_bytes())

    @property
    def ca_file(self) -> Path:
        return self.dir / "ca.pem"

    @property
    def ca_pem(self) -> bytes:
        return self.ca_file.read_bytes()

    @property
    def qemu_ca_pem(self) -> bytes:
        return (self.dir / "qemu-ca.pem").read_bytes()

    @property
    def engine_files(self) -> tuple[Path, Path]:
        """The engine's certificate and key files."""
        return self.dir / "engine.pem", self.dir / "engine.key"

    def sign_request(self, csr_pem: bytes, address: str, authority: str = "ca") -> bytes:
        """Sign a host's request: subject ``O=<org>/CN=<address>``, SAN the address; ``authority`` ``qemu`` signs
        with the QEMU CA (the host's hypervisor)."""
        csr = load_request(csr_pem)
        ca_key, ca_cert = self._qemu_ca if authority == "qemu" else self._ca
        return cert_pem(sign(ca_key, ca_cert, csr.public_key(), self.org, [address], self.days))

    def issue(self, names: list[str] | tuple[str, ...], authority: str = "ca") -> tuple[bytes, bytes]:
        """A new key and its certificate (PEM) naming ``names``; for hosts whose key the engine makes (lab).
        ``authority`` ``qemu`` signs with the QEMU CA (hypervisor to hypervisor: libvirt, migration)."""
        key = new_key()
        ca_key, ca_cert = self._qemu_ca if authority == "qemu" else self._ca
        return key_pem(key), cert_pem(sign(ca_key, ca_cert, key.public_key(), self.org, list(names), self.days))

    def engine_certificate(self, names: list[str] | tuple[str, ...] = ()) -> tuple[Path, Path]:
        """The engine's certificate and key, reissued (same key) when it does not name all of ``names``."""
        cert_path, key_path = self.engine_files
        with self._lock:
            if not key_path.exists():
                write_pem(key_path, key_pem(new_key()), private=True)
            key = serialization.load_pem_private_key(key_path.read_bytes(), None)
            have: list[str] = []
            if cert_path.exists():
                have = names_of(x509.load_pem_x509_certificate(cert_path.read_bytes()))
                if all(_normal(n) in map(_normal, have) for n in names):
                    return self.engine_files
            wanted = [*local_names(), *have, *names]
            ca_key, ca_cert = self._ca
            write_pem(cert_path, cert_pem(sign(ca_key, ca_cert, key.public_key(), self.org, wanted, self.days)))
            return self.engine_files

    def client_context(self) -> ssl.SSLContext:
        """TLS toward agents: present the engine's certificate, trust only this CA, check the host's name."""
        with self._lock:
            if self._client is None:
                self._client = client_context(self.ca_file, *self.engine_files)
            return self._client


def _normal(name: str) -> str:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name.lower()
