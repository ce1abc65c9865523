"""What running modules in the controller rests on, against a real HTTP server on loopback: connections kept
alive (and replaced when the server closed them), a token renewed when refused, the token cache's files and
revocation; and an action plugin for every engine module."""

from __future__ import annotations

import importlib
import json
import os
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs

import pytest
import yaml
from ansible_collections.vdc.infra.plugins.module_utils.auth import AuthSettings
from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient, http_json
from ansible_collections.vdc.infra.plugins.module_utils.errors import EngineError
from ansible_collections.vdc.infra.plugins.module_utils.keepalive import KeepAliveOpener
from ansible_collections.vdc.infra.plugins.plugin_utils.token_cache import RenewingOpener, TokenCache

ROOT = Path(__file__).resolve().parents[3]


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.connections = 0
        self.logouts: list[str] = []
        self.valid_token = "good"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, doc: dict, close: bool = False) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = close  # without telling the client: as an idle timeout would

    def do_GET(self) -> None:
        if self.path == "/missing":
            self._answer(404, {"fault": {"reason": "Not Found", "detail": "no such thing"}})
        elif self.path == "/drop":
            self._answer(200, {"n": self.server.connections}, close=True)
        elif self.path == "/api":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            self._answer(200 if token == self.server.valid_token else 401, {"token": token})
        else:
            self._answer(200, {"n": self.server.connections})

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.server.logouts.extend(form.get("token", []))
        self._answer(200, {})


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def _get(opener, url: str, headers: dict | None = None):
    return opener(url, method="GET", data=None, headers=headers or {}, validate_certs=True, ca_path=None, timeout=5,
                  follow_redirects="none")


def test_requests_share_one_connection(server):
    opener = KeepAliveOpener()
    answers = [json.loads(_get(opener, f"{server.url}/ok").read()) for _ in range(5)]
    assert answers == [{"n": 1}] * 5 and server.connections == 1


def test_a_connection_the_server_closed_is_replaced_transparently(server):
    opener = KeepAliveOpener()
    assert json.loads(_get(opener, f"{server.url}/drop").read()) == {"n": 1}
    assert json.loads(_get(opener, f"{server.url}/ok").read()) == {"n": 2}  # on a new connection, no error
    assert server.connections == 2


def test_faults_and_unreachable_engines_answer_as_with_open_url(server):
    opener = KeepAliveOpener()
    with pytest.raises(HTTPError) as fault:
        _get(opener, f"{server.url}/missing")
    assert fault.value.code == 404
    with pytest.raises(EngineError) as error:
        http_json("GET", f"{server.url}/missing", opener=opener)
    assert (error.value.status, error.value.reason, error.value.detail) == (404, "Not Found", "no such thing")
    closed = server.url.rsplit(":", 1)[0] + ":1"
    with pytest.raises(URLError):
        _get(opener, f"{closed}/ok")
    with pytest.raises(EngineError) as unreachable:
        http_json("GET", f"{closed}/ok", opener=opener)
    assert unreachable.value.status == 0


def test_a_refused_token_is_renewed_once_and_kept(server):
    renewals: list[str | None] = []

    def renew(refused: str | None) -> str:
        renewals.append(refused)
        return "good"

    client = EngineClient(server.url, "stale", opener=RenewingOpener(KeepAliveOpener(), renew))
    assert client.request("GET", "/api") == {"token": "good"}
    assert client.request("GET", "/api") == {"token": "good"}  # no second renewal
    assert renewals == ["stale"]
    server.valid_token = "another"
    with pytest.raises(EngineError) as refused:  # renewed, still refused: the error, no loop
        client.request("GET", "/api")
    assert refused.value.status == 401 and renewals == ["stale", "good"]


def _cache(tmp_path: Path) -> TokenCache:
    directory = tmp_path / "tokens"
    directory.mkdir(mode=0o700)
    return TokenCache(str(directory), os.urandom(32))


def test_the_cache_keeps_a_token_per_engine_and_user_for_the_same_password_only(tmp_path):
    cache = _cache(tmp_path)
    admin = AuthSettings(url="https://e1/ovirt-engine/api", username="admin@internal", password="secret")
    assert cache.private() and cache.get(admin) is None
    assert cache.put(admin, "t1") is None
    assert cache.get(admin) == "t1"
    assert cache.get(AuthSettings(url=admin.url, username="admin@internal", password="guess")) is None
    assert cache.get(AuthSettings(url="https://e2/ovirt-engine/api", username="admin@internal",
                                  password="secret")) is None
    assert cache.put(admin, "t2") == "t1"  # the replaced token, for the caller to revoke
    (entry,) = Path(cache.directory).glob("*.json")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert "secret" not in entry.read_text() and json.loads(entry.read_text())["token"] == "t2"
    os.chmod(cache.directory, 0o755)
    assert not cache.private()  # readable by others: not used


def test_revoke_all_logs_every_cached_token_out_and_removes_the_directory(tmp_path, server):
    cache = _cache(tmp_path)
    for user, token in (("admin@internal", "t1"), ("user1@internal", "t2")):
        cache.put(AuthSettings(url=f"{server.url}/ovirt-engine/api", username=user, password="pw"), token)
    with cache.locked():
        pass
    assert cache.revoke_all() == 2
    assert sorted(server.logouts) == ["t1", "t2"] and not os.path.exists(cache.directory)


def test_every_engine_module_has_an_action_plugin_that_runs_it():
    engine_modules = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["action_groups"]["engine"]
    plugins = sorted(p.stem for p in (ROOT / "plugins" / "action").glob("*.py") if p.stem != "__init__")
    assert plugins == sorted(engine_modules)
    for name in engine_modules:
        plugin = importlib.import_module(f"ansible_collections.vdc.infra.plugins.action.{name}")
        assert plugin.ActionModule.module.__name__.endswith(f".modules.{name}"), name
        assert callable(plugin.ActionModule.module.main)


def test_an_option_given_by_its_alias_reaches_the_model():
    from ansible_collections.vdc.infra.plugins.modules.cluster import ClusterModule

    params = {"name": "c1", "memory_policy": "server", "performance_preset": "server"}
    assert ClusterModule.model_values(params) == {"name": "c1", "memory_policy": "server"}


PROBE = """
import json, sys
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=[sys.argv[1]])._install()
class First:  # a finder that was first (as ansible-test's import check puts one) stays first
    def find_spec(self, *args):
        return None
sys.meta_path.insert(0, First())
import ansible_collections.vdc.infra.plugins.action.apply
first = type(sys.meta_path[0]).__name__
from ansible_collections.vdc.infra.plugins.module_utils import errors
try:
    import ansible_collections.vdc.infra.plugins.module_utils.nothing_here
    missing = "imported"
except ModuleNotFoundError:
    missing = "not found"
m = sys.modules
print(json.dumps({name: type(m[f"ansible_collections.vdc.infra.plugins.{name}"].__loader__).__name__
                  for name in ("action", "action.apply", "modules.apply", "module_utils.model", "module_utils.kinds",
                               "module_utils.kinds.compute", "plugin_utils.engine_action")}
                 | {"marker": getattr(errors, "MARKER", None), "missing": missing, "first": first,
                    "file": m["ansible_collections.vdc.infra.plugins.module_utils.model"].__file__}))
"""


def test_the_controller_imports_the_collections_code_with_a_bytecode_cache(tmp_path):
    """Ansible's loader compiles at every import; the action plugins' package puts Python's source loader (which
    keeps ``__pycache__``) in front for this copy's module_utils, modules and plugin_utils, and only those."""
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "ansible_collections" / "vdc" / "infra"
    shutil.copytree(ROOT / "plugins", copy / "plugins", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "meta", copy / "meta")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def probe() -> dict:
        run = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)

    first = probe()
    assert first["file"] == str(copy / "plugins" / "module_utils" / "model.py")
    assert {k: first[k] for k in ("action", "action.apply")} == {
        "action": "_AnsibleCollectionLoader", "action.apply": "_AnsibleCollectionLoader"}  # Ansible's
    assert {first[k] for k in ("modules.apply", "module_utils.model", "module_utils.kinds",
                               "module_utils.kinds.compute", "plugin_utils.engine_action")} == {"SourceFileLoader"}
    assert first["missing"] == "not found" and first["marker"] is None and first["first"] == "First"
    assert list((copy / "plugins" / "module_utils" / "__pycache__").glob("model.*.pyc"))
    errors = copy / "plugins" / "module_utils" / "errors.py"  # an edited source is read again, not its old bytecode
    errors.write_text(errors.read_text() + "\nMARKER = 'edited'\n")
    assert probe()["marker"] == "edited"
