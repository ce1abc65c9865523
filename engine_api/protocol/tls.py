"""The agent's side of the engine's PKI: its key and certificate in the state directory, and TLS contexts.

At deployment ``vdc-agent enroll`` makes the key on the host (it never leaves it) and prints a certificate
signing request; the engine signs it with its CA and installs the certificate and the CA's next to the key.
The agent then serves mutual TLS only: a caller must present a certificate from the same CA.
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def agent_files(state_dir: str | Path) -> dict[str, Path]:
    """Where an agent keeps its key, its certificate and the engine's CA certificate."""
    pki = Path(state_dir) / "pki"
    return {"key": pki / "agent.key", "cert": pki / "agent.pem", "ca": pki / "ca.pem"}


def enroll(state_dir: str | Path) -> bytes:
    """Make a new key (0600, in a 0700 directory) and return a PEM signing request for it.

    The request's subject is empty: the engine names the host (``O=<org>/CN=<address>``), as oVirt does.
    """
    files = agent_files(state_dir)
    files["key"].parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    files["key"].parent.chmod(0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    tmp = files["key"].with_name("agent.key.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.replace(tmp, files["key"])
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM)


def libvirt_files(pki_dir: str | Path) -> dict[str, Path]:
    """libvirt's TLS files under a PKI directory laid out as ``/etc/pki`` (its default): one key and certificate
    serve as the server (peers migrate to this host) and as the client (this host migrates to its peers)."""
    pki = Path(pki_dir)
    return {"key": pki / "libvirt" / "private" / "serverkey.pem", "client_key": pki / "libvirt" / "private" /
            "clientkey.pem", "cert": pki / "libvirt" / "servercert.pem", "client_cert": pki / "libvirt" /
            "clientcert.pem", "ca": pki / "CA" / "cacert.pem"}


def enroll_libvirt(pki_dir: str | Path) -> bytes:
    """Make the hypervisor's key where libvirt looks for it and return a signing request for the engine's QEMU CA."""
    files = libvirt_files(pki_dir)
    files["key"].parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    files["ca"].parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    for name in ("key", "client_key"):
        tmp = files[name].with_name(files[name].name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.replace(tmp, files[name])
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([])).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM)


def install_libvirt(pki_dir: str | Path, cert: bytes, ca: bytes) -> None:
    """Put the signed certificate (as server and client) and the CA where libvirt reads them."""
    files = libvirt_files(pki_dir)
    for name, data in (("cert", cert), ("client_cert", cert), ("ca", ca)):
        files[name].write_bytes(data)


def client_context(ca_file: str | Path, cert_file: str | Path, key_file: str | Path) -> ssl.SSLContext:
    """Mutual TLS as a client: present our certificate; the peer's must come from ``ca_file`` and name the
    address we call (the engine toward its agents, an agent toward another during a migration)."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    ctx.load_cert_chain(str(cert_file), str(key_file))
    return ctx
