"""UI plugins in Chromium: the seeds' Foreman example, the shallow configuration merge, load order and
enabled=false, events (login, REST session, selection, messages, logout), and a broken plugin isolated."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.hosts.helpers import MiB
from tests.webadmin.conftest import PLUGINS, log_in, pack
from tests.webadmin.test_uiplugin_api import API, tar_of


@pytest.fixture(scope="module")
def plugins(portal):
    """foreman (order 1, a user config replacing ``labels``), broken, and dormant (disabled), installed through
    the API while the engine runs; two VMs, one of which Foreman knows."""
    with httpx.Client(base_url=portal.origin, auth=(portal.live.username, portal.live.password), timeout=30) as http:
        assert http.post(API, content=pack(PLUGINS / "foreman")).status_code == 201
        assert http.put(f"{API}/foreman/configuration",
                        json={"config": {"labels": {"dashboard": "Foreman"}}, "order": 1}).status_code == 200
        assert http.post(API, content=pack(PLUGINS / "broken")).status_code == 201
        dormant = tar_of({"dormant.json": b'{"name": "dormant", "url": "plugin/dormant/start.html"}'})
        assert http.post(API, content=dormant).status_code == 201
        assert http.post(f"{API}/dormant/disable").json()["enabled"] is False
        ids = [portal.estate.new_vm(name, memory=256 * MiB) for name in ("pw-known", "pw-other")]
        yield
        for ident in ids:
            portal.estate.destroy_vm(ident)
        for name in ("foreman", "broken", "dormant"):
            http.delete(f"{API}/{name}")


def foreman_log(page) -> list[str]:
    return page.evaluate("window.foremanLog || []")


def select_vm(page, name: str) -> None:
    page.locator("#grid tbody tr", has=page.locator(f"td:text-is('{name}')")).click()
    expect(page.locator("#detail-title")).to_contain_text(name)


def test_a_plugin_written_like_the_seeds_foreman_example(page, portal, plugins):
    log_in(page, portal)
    page.wait_for_selector("body[data-loaded=vms]")
    assert page.evaluate("pluginDefinitions.map(d => d.name)") == ["foreman", "broken", "dormant"]
    expect(page.locator("#places a.plugin-place")).to_have_text(["Foreman", "Broken Tab"])
    assert page.evaluate("vdcPlugins.states()") == {"foreman": "IN_USE", "broken": "IN_USE", "dormant": "DEFINED"}
    assert page.locator("iframe[data-plugin=dormant]").count() == 0  # enabled=false: never loaded

    conf = page.evaluate("pluginApi('foreman').configObject()")
    assert conf["labels"] == {"dashboard": "Foreman"}  # the user's object replaced the descriptor's wholesale
    assert conf["foremanDetailsLabel"] == "Foreman Details"
    page.wait_for_function("(window.foremanLog || []).includes('session answers 200')")
    user_id = page.evaluate("pluginApi('foreman').loginUserId()")
    assert foreman_log(page)[:3] == ["UiInit", f"UserLogin admin@internal {user_id}", "RestApiSessionAcquired"]

    page.evaluate("window.postMessage('hello', location.origin)")  # foreman allows this origin, broken none
    page.wait_for_function("(window.foremanLog || []).includes('message hello')")
    assert "broken got hello" not in foreman_log(page)

    # a VM Foreman does not know: the sub-tabs stay hidden; the broken plugin throws and leaves
    select_vm(page, "pw-other")
    expect(page.locator("#subtabs button")).to_have_text(["General", "Disks", "Network Interfaces", "Events"])
    expect(page.locator("#places a.plugin-place")).to_have_text(["Foreman"])
    assert page.evaluate("vdcPlugins.states()")["broken"] == "FAILED"
    assert page.locator("iframe[data-plugin=broken]").count() == 0

    # a VM Foreman knows: both sub-tabs, their URL following the selection
    select_vm(page, "pw-known")
    expect(page.locator("#subtabs button.plugin-tab")).to_have_text(["Foreman Details", "Graphs"])
    page.click("#subtabs button:text-is('Foreman Details')")
    frame = page.frame_locator("#detail-body iframe.plugin-tab")
    expect(frame.locator("#title")).to_have_text("Foreman details of pw-known")
    page.click("#subtabs button:text-is('Graphs')")
    expect(frame.locator("#title")).to_have_text("Foreman graphs of pw-known")

    # the action button opens a dialog for the selected VM
    page.click("#actions button[data-action='Foreman VM']")
    dialog = page.locator(".dialog")
    expect(dialog.locator(".dialog-title")).to_contain_text("Foreman VM pw-known")
    expect(page.frame_locator(".dialog iframe").locator("#title")).to_have_text("Foreman dialog of pw-known")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    # the main tab
    page.click("#places a:text-is('Foreman')")
    expect(page.frame_locator("#plugin-view iframe").locator("#title")).to_have_text("Foreman dashboard")
    assert foreman_log(page).count("UiInit") == 1
    assert page.evaluate("vdcPlugins.states()")["foreman"] == "IN_USE"

    page.click("#sign-out")
    expect(page.locator("#login")).to_be_visible()
    assert page.evaluate("localStorage.getItem('foreman.loggedOut')") == "yes"
    assert not page.errors
