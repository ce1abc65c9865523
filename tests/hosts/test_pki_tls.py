"""The engine's PKI and mutual TLS: the pki-resource service, host enrollment over SSH (a real sshd), agents that
accept only the engine's CA, a broker that accepts only an agent certificate naming the host, SSH host keys
pinned at first contact, and ``vdc-engine serve --tls`` driven by ovirtsdk4 and by the collection's client."""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from engine_api.hosts import pki
from engine_api.protocol.client import AgentError
from engine_api.protocol.tls import agent_files
from tests import live
from tests.hosts.helpers import connect, events_since, last_event_index, wait_for

INSTALLED = (t.HostStatus.UP, t.HostStatus.INSTALL_FAILED)
PKI_PATH = "/ovirt-engine/services/pki-resource"


@pytest.fixture(scope="module")
def engine(sshd, tmp_path_factory):
    """An engine with one lab host, that deploys agents as the SSH test user into its writable directory."""
    config = {"monitor_interval": 0.5, "non_responsive_timeout": 3.0,
              "agent_state_dir": f"{sshd.agents_dir}/{{address}}", "agent_libvirt_uri": "test://{state_dir}/node.xml"}
    if sshd.agent_command:
        config["agent_command"] = sshd.agent_command
    server = live.start(tmp_path_factory.mktemp("pki"), lab_hosts=1, config=config, monitor=True)
    try:
        yield server
    finally:
        server.stop()
        for pid_file in sshd.agents_dir.glob("*/agent.pid"):
            _stop(pid_file)


@pytest.fixture(scope="module")
def conn(engine):
    connection = connect(engine)
    try:
        yield connection
    finally:
        connection.close()


def _stop(pid_file: Path) -> None:
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    finally:
        pid_file.unlink(missing_ok=True)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def _get(url: str, context: ssl.SSLContext | None = None) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as resp:
            return resp.status, resp.headers["content-type"], resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["content-type"], e.read()


def _origin(server: live.LiveEngine) -> str:
    return server.url.removesuffix("/ovirt-engine/api")


# ---------------------------------------------------------------- pki-resource


def test_pki_resource_serves_the_ca_the_engine_certificate_and_its_ssh_key(engine):
    base = _origin(engine) + PKI_PATH
    status, kind, body = _get(f"{base}?resource=ca-certificate&format=X509-PEM-CA")  # no credentials, as oVirt
    assert (status, kind) == (200, "application/x-x509-ca-cert")
    ca = x509.load_pem_x509_certificate(body)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert body == engine.engine.pki.ca_pem

    status, kind, body = _get(f"{base}?resource=engine-certificate&format=X509-PEM")
    assert (status, kind) == (200, "application/x-x509-cert")
    cert = x509.load_pem_x509_certificate(body)
    cert.verify_directly_issued_by(ca)
    assert ExtendedKeyUsageOID.CLIENT_AUTH in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value

    status, kind, body = _get(f"{base}?resource=engine-certificate&format=OPENSSH-PUBKEY")
    assert status == 200 and kind.startswith("text/plain")
    assert body.decode().strip() == engine.engine.public_key()

    status, kind, body = _get(f"{base}?resource=qemu-ca-certificate")
    assert (status, kind) == (200, "application/x-x509-ca-cert")
    assert x509.load_pem_x509_certificate(body).subject != ca.subject  # a CA of its own, as oVirt's

    assert _get(f"{base}?resource=nonsense")[0] == 404
    assert _get(f"{base}?resource=ca-certificate&format=PKCS12")[0] == 400
    assert _get(f"{base}?resource=ca-certificate&format=OPENSSH-PUBKEY")[0] == 400


def test_the_engine_keeps_its_ca_private(engine):
    directory = engine.engine.pki.dir
    assert directory.stat().st_mode & 0o777 == 0o700
    for key in ("ca.key", "qemu-ca.key", "engine.key"):
        assert (directory / key).stat().st_mode & 0o777 == 0o600


# ---------------------------------------------------------------- mutual TLS at the agent


def _lab_url(engine: live.LiveEngine) -> str:
    h = engine.engine.lab.hosts[0]
    return f"https://{h.address}:{h.port}/health"


def test_lab_agent_is_enrolled_and_answers_the_engine(engine):
    h = engine.engine.lab.hosts[0]
    files = agent_files(h.state_dir)
    assert files["key"].stat().st_mode & 0o777 == 0o600
    cert = x509.load_pem_x509_certificate(files["cert"].read_bytes())
    assert pki.names_of(cert) == [h.address]
    assert engine.engine.broker.capabilities({"address": h.address, "port": h.port})["hypervisor"] == "TEST"
    assert _get(_lab_url(engine), engine.engine.pki.client_context())[0] == 200


def test_agent_refuses_a_client_without_a_certificate(engine):
    anonymous = ssl.create_default_context(cafile=str(engine.engine.pki.ca_file))  # trusts the agent, shows nothing
    with pytest.raises((ssl.SSLError, urllib.error.URLError, ConnectionError)):
        _get(_lab_url(engine), anonymous)


def test_agent_refuses_a_client_certificate_from_another_ca(engine, tmp_path):
    other_key, other_ca = pki.make_ca("intruder", "intruder CA")
    key = pki.new_key()
    cert = pki.sign(other_key, other_ca, key.public_key(), "intruder", ["127.0.0.1"])
    (tmp_path / "c.pem").write_bytes(pki.cert_pem(cert))
    (tmp_path / "c.key").write_bytes(pki.key_pem(key))
    stranger = ssl.create_default_context(cafile=str(engine.engine.pki.ca_file))
    stranger.load_cert_chain(tmp_path / "c.pem", tmp_path / "c.key")
    with pytest.raises((ssl.SSLError, urllib.error.URLError, ConnectionError)):
        _get(_lab_url(engine), stranger)
    h = engine.engine.lab.hosts[0]  # the bearer secret alone does not let it in either
    from engine_api.protocol.client import call

    with pytest.raises(AgentError):
        call(f"https://{h.address}:{h.port}/capabilities", engine.engine.broker.secret, context=stranger)


def test_broker_refuses_an_agent_whose_certificate_names_another_host(engine, conn, tmp_path):
    """An agent with a good certificate from the engine's CA, but for another address, is not the host."""
    address = "127.0.0.5"
    port = live.free_port(address)
    state = tmp_path / "impostor"
    files = agent_files(state)
    files["key"].parent.mkdir(parents=True, mode=0o700)
    key, cert = engine.engine.pki.issue(["192.0.2.7"])
    for name, data in (("key", key), ("cert", cert), ("ca", engine.engine.pki.ca_pem)):
        pki.write_pem(files[name], data, private=name == "key")
    (state / "node.xml").write_text("<node><cpu><mhz>1000</mhz></cpu><memory>1048576</memory></node>")
    log = open(state / "agent.log", "wb")  # noqa: SIM115 - the child owns it
    agent = subprocess.Popen([sys.executable, "-m", "engine_api.agent", "serve", "--listen", f"{address}:{port}",
                              "--libvirt-uri", f"test://{state / 'node.xml'}", "--state-dir", str(state)],
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        host = {"address": address, "port": port}
        error = wait_for(lambda: _error_of(engine, host), lambda e: "not trusted" in e, timeout=20,
                         what="the impostor agent to answer")
        assert f"the agent at https://{address}:{port}/capabilities is not trusted" in error
        assert "mismatch" in error and address in error, error
        mark = last_event_index(conn)
        host_id = conn.system_service().hosts_service().add(t.Host(
            name="impostor", address=address, port=port, cluster=t.Cluster(name="Default"))).id
        service = conn.system_service().hosts_service().host_service(host_id)
        added = wait_for(service.get, lambda h: h.status in INSTALLED, timeout=30, what="the install to end")
        assert added.status == t.HostStatus.INSTALL_FAILED
        texts = [e.description for e in events_since(conn, mark) if e.severity == t.LogSeverity.ERROR]
        assert any("Host impostor installation failed" in x and "not trusted" in x for x in texts), texts
        service.remove()
    finally:
        agent.terminate()
        agent.wait(timeout=10)
        log.close()


def _error_of(engine: live.LiveEngine, host: dict) -> str:
    try:
        engine.engine.broker.capabilities(host, timeout=2)
    except AgentError as e:
        return str(e)
    return "answered"


def test_agent_will_not_serve_without_a_certificate(tmp_path):
    done = subprocess.run([sys.executable, "-m", "engine_api.agent", "serve", "--listen", "127.0.0.1:1",
                           "--state-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "serves mutual TLS only" in done.stderr and "agent.pem" in done.stderr


# ---------------------------------------------------------------- enrollment and host keys over SSH


def _host_key(sshd) -> tuple[str, str]:
    """The sshd fixture's host key: (fingerprint as ssh-keygen prints it, "type base64")."""
    pub = (sshd.workdir / "ssh_host_ed25519_key.pub").read_text().split()
    listed = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(sshd.workdir / "ssh_host_ed25519_key.pub")],
                            capture_output=True, text=True, check=True).stdout.split()
    return listed[1], f"{pub[0]} {pub[1]}"


def _add(conn, sshd, name: str, address: str, fingerprint: str | None = None) -> str:
    return conn.system_service().hosts_service().add(t.Host(
        name=name, address=address, port=live.free_port(address), cluster=t.Cluster(name="Default"),
        ssh=t.Ssh(port=sshd.port, user=t.User(user_name=sshd.user), fingerprint=fingerprint),
        root_password=sshd.password)).id


def _settle(conn, host_id: str) -> t.Host:
    service = conn.system_service().hosts_service().host_service(host_id)
    return wait_for(service.get, lambda h: h.status in INSTALLED, timeout=60, interval=0.1,
                    what="the installation to end")


def _remove(conn, sshd, host_id: str) -> None:
    service = conn.system_service().hosts_service().host_service(host_id)
    host = service.get()
    if host.status not in (t.HostStatus.INSTALL_FAILED, t.HostStatus.MAINTENANCE):
        service.deactivate()
        wait_for(service.get, lambda h: h.status == t.HostStatus.MAINTENANCE, what="maintenance")
    service.remove()
    _stop(sshd.agents_dir / host.address / "agent.pid")
    shutil.rmtree(sshd.agents_dir / host.address, ignore_errors=True)  # the sshd fixture's addresses are shared


def test_deploy_enrolls_the_host_and_records_its_ssh_key(engine, conn, sshd):
    address = sshd.addresses[0]
    mark = last_event_index(conn)
    host_id = _add(conn, sshd, "pki-enrolled", address)
    host = _settle(conn, host_id)
    try:
        assert host.status == t.HostStatus.UP, [e.description for e in events_since(conn, mark)]
        fingerprint, public_key = _host_key(sshd)
        assert host.ssh.fingerprint == fingerprint  # what the API shows: SHA256:..., as OpenSSH prints it
        assert host.ssh.public_key == public_key
        texts = [e.description for e in events_since(conn, mark)]
        assert any(f"SSH host key recorded: {fingerprint}" in x for x in texts), texts

        files = agent_files(sshd.agents_dir / address)
        assert files["key"].stat().st_mode & 0o777 == 0o600 and files["key"].stat().st_uid == sshd.uid
        assert files["ca"].read_bytes() == engine.engine.pki.ca_pem
        cert = x509.load_pem_x509_certificate(files["cert"].read_bytes())
        ca = x509.load_pem_x509_certificate(engine.engine.pki.ca_pem)
        cert.verify_directly_issued_by(ca)
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == address
        assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "vdc"
        assert pki.names_of(cert) == [address]
        days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
        assert days == 1827 + 1  # VdsCertificateValidityInDays, started a day back as pki-enroll-request does
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key = load_pem_private_key(files["key"].read_bytes(), None)  # made on the host, never sent
        assert key.public_key().public_numbers() == cert.public_key().public_numbers()
        assert engine.engine.broker.capabilities({"address": address, "port": host.port})["hypervisor"] == "TEST"
    finally:
        _remove(conn, sshd, host_id)


def _replace_host_key(sshd) -> None:
    """Give the sshd a new host key (as a reinstalled machine has) and make it re-read its configuration."""
    key = sshd.workdir / "ssh_host_ed25519_key"
    for path in (key, key.with_suffix(".pub")):
        path.rename(path.with_name(path.name + ".orig"))
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    _reload(sshd)


def _restore_host_key(sshd) -> None:
    key = sshd.workdir / "ssh_host_ed25519_key"
    for path in (key, key.with_suffix(".pub")):
        path.with_name(path.name + ".orig").replace(path)
    _reload(sshd)


def _reload(sshd) -> None:
    """SIGHUP: sshd re-executes itself with the new key; wait until it serves it."""
    os.kill(int((sshd.workdir / "sshd.pid").read_text()), signal.SIGHUP)
    expected = _host_key(sshd)[0]
    import paramiko

    from engine_api.hosts.deploy import fingerprint

    def served() -> str | None:
        try:
            transport = paramiko.Transport((sshd.addresses[0], sshd.port))
            try:
                transport.start_client(timeout=5)
                return fingerprint(transport.get_remote_server_key())
            finally:
                transport.close()
        except (paramiko.SSHException, OSError, EOFError):
            return None

    wait_for(served, lambda fp: fp == expected, timeout=20, interval=0.2, what="sshd serving its new host key")


def test_a_changed_host_key_fails_the_reinstall(engine, conn, sshd):
    address = sshd.addresses[1]
    host_id = _add(conn, sshd, "pki-rekeyed", address)
    host = _settle(conn, host_id)
    assert host.status == t.HostStatus.UP
    recorded = host.ssh.fingerprint
    service = conn.system_service().hosts_service().host_service(host_id)
    try:
        service.deactivate()
        wait_for(service.get, lambda h: h.status == t.HostStatus.MAINTENANCE, what="maintenance")
        _replace_host_key(sshd)
        try:
            new = _host_key(sshd)[0]
            mark = last_event_index(conn)
            service.install(root_password=sshd.password)
            failed = _settle(conn, host_id)
        finally:
            _restore_host_key(sshd)
        assert failed.status == t.HostStatus.INSTALL_FAILED
        assert failed.ssh.fingerprint == recorded  # the pinned key is not replaced by the new one
        texts = [e.description for e in events_since(conn, mark) if e.severity == t.LogSeverity.ERROR]
        assert any("Host pki-rekeyed installation failed" in x and "SSH host key fingerprint mismatch" in x
                   and new in x and recorded in x for x in texts), texts
    finally:
        _remove(conn, sshd, host_id)


def test_a_fingerprint_given_on_add_is_verified(engine, conn, sshd):
    address = sshd.addresses[2]
    wrong = "SHA256:" + "A" * 43
    before = sshd.log().count(f"Accepted password for {sshd.user}")
    mark = last_event_index(conn)
    host_id = _add(conn, sshd, "pki-pinned", address, fingerprint=wrong)
    host = _settle(conn, host_id)
    try:
        assert host.status == t.HostStatus.INSTALL_FAILED
        assert host.ssh.fingerprint == wrong
        texts = [e.description for e in events_since(conn, mark) if e.severity == t.LogSeverity.ERROR]
        assert any("SSH host key fingerprint mismatch" in x and wrong in x for x in texts), texts
        assert sshd.log().count(f"Accepted password for {sshd.user}") == before  # no password was sent
    finally:
        _remove(conn, sshd, host_id)
    right = _host_key(sshd)[0]
    host_id = _add(conn, sshd, "pki-pinned-right", address, fingerprint=right)
    try:
        host = _settle(conn, host_id)
        assert host.status == t.HostStatus.UP and host.ssh.fingerprint == right
    finally:
        _remove(conn, sshd, host_id)


# ---------------------------------------------------------------- vdc-engine serve --tls


@pytest.fixture(scope="module")
def tls_engine(tmp_path_factory):
    data = tmp_path_factory.mktemp("tls-engine")
    address = "127.0.0.6"  # not a name the engine's certificate has anyway (127.0.0.1, localhost, this host's)
    port = live.free_port(address)
    env = {**os.environ, "VDC_ADMIN_PASSWORD": live.ADMIN_PASSWORD}
    log = open(data / "serve.log", "w+")  # noqa: SIM115 - read back below
    process = subprocess.Popen([sys.executable, "-m", "engine_api.cli", "serve", "--tls", "--listen",
                                f"{address}:{port}", "--data-dir", str(data / "engine")], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        url = f"https://{address}:{port}/ovirt-engine/api"
        wait_for(lambda: (data / "serve.log").read_text(), lambda text: f"vdc engine ready: {url}" in text
                 or process.poll() is not None, timeout=60, interval=0.2, what="vdc-engine serve --tls")
        assert process.poll() is None, (data / "serve.log").read_text()
        yield url, data
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _fetch_ca(url: str, path: Path) -> Path:
    """As oVirt's documentation has it: fetch the CA once without verification, then verify with it."""
    insecure = ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
    origin = url.removesuffix("/ovirt-engine/api")
    status, kind, body = _get(f"{origin}{PKI_PATH}?resource=ca-certificate&format=X509-PEM-CA", insecure)
    assert (status, kind) == (200, "application/x-x509-ca-cert")
    path.write_bytes(body)
    return path


def test_serve_tls_with_ovirtsdk4_and_ca_file(tls_engine):
    url, data = tls_engine
    ca_file = _fetch_ca(url, data / "ca.pem")
    connection = sdk.Connection(url=url, username="admin@internal", password=live.ADMIN_PASSWORD,
                                ca_file=str(ca_file))
    try:
        assert connection.system_service().get().product_info.name
        assert connection.system_service().clusters_service().list(search="name=Default")
    finally:
        connection.close()
    untrusting = sdk.Connection(url=url, username="admin@internal", password=live.ADMIN_PASSWORD)
    try:
        with pytest.raises(sdk.Error):  # the system's CAs do not know the engine's
            untrusting.system_service().get()
    finally:
        untrusting.close()


def test_serve_tls_with_the_collection_client_and_ca_file(tls_engine):
    collections = Path(__file__).resolve().parents[2] / "collection"
    if str(collections) not in sys.path:
        sys.path.insert(0, str(collections))
    from ansible_collections.vdc.infra.plugins.module_utils.auth import AuthSettings, session
    from ansible_collections.vdc.infra.plugins.module_utils.client import EngineError

    url, data = tls_engine
    ca_file = str(_fetch_ca(url, data / "ca-collection.pem"))
    with session(AuthSettings(url=url, username="admin@internal", password=live.ADMIN_PASSWORD,
                              ca_file=ca_file)) as client:
        assert client.request("GET", "clusters", params={"search": "name=Default"})["cluster"]
    with pytest.raises(EngineError) as refused:  # without the CA, the engine is not trusted
        with session(AuthSettings(url=url, username="admin@internal", password=live.ADMIN_PASSWORD)):
            pass
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value) or "certificate verify failed" in str(refused.value)
    with session(AuthSettings(url=url, username="admin@internal", password=live.ADMIN_PASSWORD,
                              insecure=True)) as client:  # insecure: no CA, no check
        assert client.request("GET", "clusters", params={"search": "name=Default"})["cluster"]


def test_serve_tls_certificate_names_the_listen_address(tls_engine):
    url, data = tls_engine
    cert = x509.load_pem_x509_certificate((data / "engine" / "pki" / "engine.pem").read_bytes())
    assert "127.0.0.6" in pki.names_of(cert)
    strict = ssl.create_default_context(cafile=str(data / "engine" / "pki" / "ca.pem"))  # checks the name too
    assert _get(url.removesuffix("/ovirt-engine/api") + PKI_PATH + "?resource=ca-certificate", strict)[0] == 200
