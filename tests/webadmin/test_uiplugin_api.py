"""The UI plugin API (a vdc extension), the descriptor rules and merge, and how plugin resources are served."""

from __future__ import annotations

import io
import json
import os
import tarfile
import time

import httpx
import pytest

from engine_api.uiplugins.resources import registry_for
from tests.webadmin.conftest import PLUGINS, pack

API = "/ovirt-engine/api/vdc/uiplugins"


@pytest.fixture(scope="module")
def http(live_engine):
    base = live_engine.url.split("/ovirt-engine/")[0]
    with httpx.Client(base_url=base, auth=(live_engine.username, live_engine.password), timeout=30,
                      headers={"Accept": "application/json"}) as client:
        yield client


@pytest.fixture(scope="module")
def foreman(http):
    answer = http.post(API, content=pack(PLUGINS / "foreman"), headers={"Content-Type": "application/gzip"})
    assert answer.status_code == 201, answer.text
    yield answer.json()
    http.delete(f"{API}/foreman")


def tar_of(members: dict[str, bytes | str]) -> bytes:
    """A tar whose members are files (bytes) or symlinks (str: the link target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def test_the_api_wants_an_administrator(live_engine, http):
    answer = httpx.get(http.base_url.join(API))
    assert answer.status_code == 401
    assert "authentication is required" in answer.json()["detail"]


def test_install_is_idempotent_by_digest(http, foreman):
    assert foreman["name"] == "foreman"
    assert foreman["resource_path"] == "foreman-files" and foreman["lazy_load"] is True
    assert foreman["digest"].startswith("sha256:")
    again = http.post(API, content=pack(PLUGINS / "foreman"))
    assert again.status_code == 200 and again.json()["digest"] == foreman["digest"]
    listing = http.get(API).json()["ui_plugin"]
    assert [p["name"] for p in listing] == ["foreman"]


def test_the_host_page_embeds_merged_definitions_with_old_urls_mapped(live_engine, http, foreman):
    page = http.get("/ovirt-engine/webadmin/").text
    line = next(x for x in page.splitlines() if "var pluginDefinitions" in x)
    definitions = json.loads(line.split("=", 1)[1].rstrip(";</script>").strip())
    (definition,) = definitions
    assert definition["url"] == "/ovirt-engine/webadmin/plugin/foreman/start.html"  # "/webadmin/webadmin/..."
    assert definition["enabled"] is True and definition["lazyLoad"] is True
    assert definition["config"]["foremanDetailsLabel"] == "Foreman Details"


def test_user_configuration_replaces_top_level_keys_wholesale(http, foreman):
    answer = http.put(f"{API}/foreman/configuration", json={"config": {"labels": {"dashboard": "Foreman"}}, "order": 3})
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert doc["config"]["labels"] == {"dashboard": "Foreman"}  # the nested object is not merged
    assert doc["config"]["foremanDetailsLabel"] == "Foreman Details"  # other keys stay
    assert doc["order"] == 3 and doc["enabled"] is True
    for bad, field in (({"order": 1.5}, "'order'"), ({"enabled": "yes"}, "'enabled'"), ({"config": []}, "'config'")):
        answer = http.put(f"{API}/foreman/configuration", json=bad)
        assert answer.status_code == 400 and field in answer.json()["detail"], answer.text
    assert http.post(f"{API}/foreman/disable").json()["enabled"] is False
    doc = http.post(f"{API}/foreman/enable").json()
    assert doc["enabled"] is True and doc["order"] == 3 and doc["config"]["labels"] == {"dashboard": "Foreman"}


def test_resources_are_served_and_anything_not_sane_is_refused(live_engine, http, foreman):
    ok = http.get("/ovirt-engine/webadmin/plugin/foreman/hosts.json")
    assert ok.status_code == 200 and ok.headers["cache-control"] == "no-cache"
    assert ok.headers["content-type"].startswith("application/json")
    base = registry_for(live_engine.engine).plugins_dir / "foreman-files"
    (base / "sub").mkdir(exist_ok=True)
    os.symlink("/etc/hostname", base / "escape.txt")
    os.symlink("/etc", base / "etc")
    try:
        for path in ("%2e%2e/foreman.json", "..%2Fforeman.json", "sub/%2e%2e/hosts.json", "a//hosts.json",
                     "%2e/hosts.json", "sub/%2e/x", "x" * 513, "sub", "sub/", "", "escape.txt", "etc/hostname",
                     "missing.html"):
            answer = http.get(f"/ovirt-engine/webadmin/plugin/foreman/{path}")
            assert answer.status_code == 404, path
        assert http.get("/ovirt-engine/webadmin/plugin/nosuch/hosts.json").status_code == 404
    finally:
        (base / "escape.txt").unlink()
        (base / "etc").unlink()
        (base / "sub").rmdir()


@pytest.mark.parametrize("members, error", [
    ({"a.json": b'{"name": "a", "url": "x"}', "b.json": b'{"name": "b", "url": "x"}'}, "exactly one descriptor"),
    ({"a.json": b'{"name": "a", "url": "x", "resourcePath": "r"}', "r/../../evil": b"x"}, "plain relative path"),
    ({"a.json": b'{"name": "a", "url": "x", "resourcePath": "r"}', "r/link": "/etc/passwd"}, "not a regular file"),
    ({"a.json": b'{"name": "a", "url": "x"}', "stray.txt": b"x"}, "neither the descriptor"),
    ({"a.json": b'{"name": "a"}'}, "'url' is required"),
    ({"a.json": b'{"name": "../a", "url": "x"}'}, "name must match"),
    ({"a.json": b'{"name": "a", "url": "x", "resourcePath": "../up"}'}, "plain relative directory"),
    ({"a.json": b'{"name": "a", "url": "x", "lazyLoad": "no"}'}, "'lazyLoad'"),
])
def test_bad_archives_are_refused_with_the_reason(http, members, error):
    answer = http.post(API, content=tar_of(members))
    assert answer.status_code == 400, answer.text
    assert error in answer.json()["detail"]


def test_a_resource_directory_belongs_to_one_plugin(http, foreman):
    other = tar_of({"other.json": b'{"name": "other", "url": "x", "resourcePath": "foreman-files"}',
                    "foreman-files/x.html": b"x"})
    answer = http.post(API, content=other)
    assert answer.status_code == 409 and "belongs to plugin 'foreman'" in answer.json()["detail"]


def test_hand_placed_descriptors_follow_ovirt_rules(live_engine, http):
    registry = registry_for(live_engine.engine)
    registry.plugins_dir.mkdir(parents=True, exist_ok=True)
    registry.config_dir.mkdir(parents=True, exist_ok=True)
    descriptor = registry.plugins_dir / "hand.json"
    descriptor.write_text('{\n  // a comment\n  "name": "hand", "url": "plugin/hand/x.html", "config": {"a": 1},\n'
                          '  "unknown": "ignored"\n}\n')
    config = registry.plugins_dir.parent / "ui-plugins-config" / "hand-config.json"
    try:
        assert http.get(f"{API}/hand").json()["config"] == {"a": 1}
        config.write_text('{"config": {"b": 2}, "enabled": "yes"}')  # invalid: the valid entry stays (as oVirt)
        bump(config)
        assert http.get(f"{API}/hand").json()["config"] == {"a": 1}
        config.write_text("not json at all")  # unparsable: an empty user configuration
        bump(config)
        assert http.get(f"{API}/hand").json()["user_config"] == {"config": {}, "enabled": True, "order": 2**31 - 1}
        config.write_text('/* fine */ {"config": {"b": 2}, "order": -1}')
        bump(config)
        doc = http.get(f"{API}/hand").json()
        assert doc["config"] == {"a": 1, "b": 2} and doc["order"] == -1
    finally:
        descriptor.unlink()
        config.unlink(missing_ok=True)
    assert http.get(f"{API}/hand").status_code == 404


def bump(path) -> None:
    """Files are re-read when they change; make sure the change shows in the modification time."""
    later = time.time() + 2
    os.utime(path, (later, later))


def test_remove_takes_the_plugin_and_its_files_away(http):
    archive = tar_of({"gone.json": b'{"name": "gone", "url": "plugin/gone/a.html", "resourcePath": "gone-files"}',
                      "gone-files/a.html": b"<p>a</p>"})
    assert http.post(API, content=archive).status_code == 201
    assert http.get("/ovirt-engine/webadmin/plugin/gone/a.html").status_code == 200
    assert http.delete(f"{API}/gone").status_code == 200
    assert http.get(f"{API}/gone").status_code == 404
    assert http.get("/ovirt-engine/webadmin/plugin/gone/a.html").status_code == 404
    assert http.delete(f"{API}/gone").status_code == 404
