"""The administration portal in Chromium: login through SSO, every place as a grid, search, paging, detail
sub-tabs, actions with the engine's fault text, auto refresh and the keyboard."""

from __future__ import annotations

import re

import ovirtsdk4.types as t
import pytest
from playwright.sync_api import expect

from tests.hosts.helpers import MiB
from tests.webadmin.conftest import keep_screenshot, log_in, new_page, open_place

PLACES = [  # label, token, a row every lab estate shows
    ("Data Centers", "dataCenters", "Default"),
    ("Clusters", "clusters", "Default"),
    ("Hosts", "hosts", "lab0"),
    ("Storage Domains", "storage", "labnfs"),
    ("Networks", "networks", "ovirtmgmt"),
    ("Virtual Machines", "vms", "pw-a1"),
    ("Templates", "templates", "Blank"),
    ("Events", "events", "was created from template Blank"),
]


@pytest.fixture(scope="module")
def vms(portal):
    """Three VMs that stay down unless a test starts them."""
    ids = {name: portal.estate.new_vm(name, memory=256 * MiB) for name in ("pw-a1", "pw-a2", "pw-b1")}
    yield ids
    for ident in ids.values():
        portal.estate.destroy_vm(ident)


def row(page, name: str):
    return page.locator("#grid tbody tr", has=page.locator(f"td:text-is('{name}')"))


def test_login_refuses_a_wrong_password_then_lets_the_admin_in(page, portal):
    log_in(page, portal, password="not-the-password")
    expect(page.locator("#login-error")).to_contain_text("wrong user name or password")
    assert page.locator("#app").is_hidden()
    page.fill("input[name=password]", portal.live.password)
    page.click("#login-button")
    expect(page.locator("#user-name")).to_have_text("admin@internal")
    page.wait_for_selector("body[data-loaded=vms]")
    page.reload()  # the session survives a reload of the page
    expect(page.locator("#user-name")).to_have_text("admin@internal")
    page.click("#sign-out")
    expect(page.locator("#login")).to_be_visible()
    assert not page.errors


def test_every_place_is_a_grid_of_the_engine(page, portal, vms):
    log_in(page, portal)
    page.wait_for_selector("body[data-loaded=vms]")
    for label, token, sample in PLACES:
        open_place(page, label, token)
        expect(page.locator("#places a.active")).to_have_text(re.compile(label))
        expect(page.locator("#grid tbody")).to_contain_text(sample)
        assert page.locator("#search-prefix").inner_text().endswith(":")
    open_place(page, "Hosts", "hosts")
    expect(page.locator("#grid tbody tr")).to_have_count(2)
    expect(row(page, "lab1").locator(".dot.ok")).to_have_count(1)
    assert not page.errors


def test_search_speaks_the_engine_language_and_pages(browser, request, portal, vms):
    context, page = new_page(browser, request, {"vdc.webadmin.refresh": "0", "vdc.webadmin.pageSize": "2"})
    try:
        log_in(page, portal)
        page.wait_for_selector("body[data-loaded=vms]")
        page.fill("#search", "name=pw-*")
        page.press("#search", "Enter")
        expect(page.locator("#page-info")).to_have_text("1-2")
        names = page.locator("#grid tbody tr td:nth-child(2)")
        first_page = names.all_inner_texts()
        page.click("#next-page")
        expect(page.locator("#page-info")).to_have_text("3-3")
        assert page.locator("#next-page").is_disabled()
        assert set(first_page + names.all_inner_texts()) == {"pw-a1", "pw-a2", "pw-b1"}
        page.click("#prev-page")
        expect(page.locator("#page-info")).to_have_text("1-2")

        page.fill("#search", "name=pw-a* sortby name desc")
        page.press("#search", "Enter")
        expect(names).to_have_text(["pw-a2", "pw-a1"])

        page.fill("#search", "nme=x")
        page.press("#search", "Enter")
        expect(page.locator("#banner")).to_contain_text("unknown field 'nme'")
    finally:
        keep_screenshot(request, page)
        context.close()


def test_detail_sub_tabs_follow_the_selection(page, portal, vms):
    vm = portal.estate.vm(vms["pw-b1"])
    profile = next(p for p in portal.estate.system.vnic_profiles_service().list() if p.name == "ovirtmgmt")
    vm.nics_service().add(t.Nic(name="nic-pw", vnic_profile=t.VnicProfile(id=profile.id)))
    log_in(page, portal)
    page.wait_for_selector("body[data-loaded=vms]")
    row(page, "pw-b1").click()
    expect(page.locator("#detail-title")).to_contain_text("pw-b1")
    expect(page.locator("#detail-body")).to_contain_text(vms["pw-b1"])  # General shows the id
    page.click("#subtabs button:text-is('Network Interfaces')")
    expect(page.locator("#detail-body")).to_contain_text("nic-pw")
    page.click("#subtabs button:text-is('Events')")
    expect(page.locator("#detail-body")).to_contain_text("VM pw-b1 was created")
    row(page, "pw-a1").click()  # another row: the same sub-tab, the other VM's events
    expect(page.locator("#detail-title")).to_contain_text("pw-a1")
    expect(page.locator("#detail-body")).to_contain_text("VM pw-a1 was created")
    expect(page.locator("#detail-body")).not_to_contain_text("pw-b1")

    open_place(page, "Hosts", "hosts")
    row(page, "lab0").click()
    page.click("#subtabs button:text-is('Network Interfaces')")
    expect(page.locator("#detail-body")).to_contain_text("eth0")
    assert not page.errors


def test_integers_and_booleans_written_as_strings_are_read_by_type(page, portal, vms):
    """The API writes them as strings, as oVirt does ("false" is no true): the portal reads them by the wire model."""
    sd = next(s for s in portal.estate.system.storage_domains_service().list() if s.name == "labnfs")
    log_in(page, portal)
    page.wait_for_selector("body[data-loaded=vms]")
    row(page, "pw-a1").click()
    general = page.locator("#detail-body .props div", has=page.locator("dt:text-is('Highly Available')"))
    expect(general.locator("dd")).to_have_text("no")
    open_place(page, "Data Centers", "dataCenters")
    expect(row(page, "Default")).to_contain_text("Shared")  # local: "false"
    open_place(page, "Storage Domains", "storage")
    expect(row(page, "labnfs")).to_contain_text("Data (Master)" if sd.master else "Data")
    if not sd.master:
        expect(row(page, "labnfs")).not_to_contain_text("(Master)")
    assert not page.errors


def test_run_a_vm_from_the_portal_and_see_it_up(page, portal, vms):
    """Run on the selection; the grid refreshes by itself until the engine reports the VM up; a second Run
    that the engine refuses shows its fault text."""
    log_in(page, portal)
    page.wait_for_selector("body[data-loaded=vms]")
    row(page, "pw-a2").click()
    page.click("#actions button[data-action=Run]")
    expect(row(page, "pw-a2")).to_contain_text("Up", timeout=20_000)
    expect(row(page, "pw-a2").locator(".dot.ok")).to_have_count(1)
    assert portal.estate.vm(vms["pw-a2"]).get().status == t.VmStatus.UP
    expect(page.locator("#actions button[data-action=Run]")).to_be_disabled()
    expect(row(page, "pw-a2")).to_have_class(re.compile("selected"))  # refreshes keep the selection

    page.select_option("#refresh-rate", "0")  # the grid no longer refreshes: the Run button stays enabled
    row(page, "pw-a1").click()
    expect(page.locator("#actions button[data-action=Run]")).to_be_enabled()
    portal.estate.start_on(vms["pw-a1"])  # someone else starts it meanwhile
    page.click("#actions button[data-action=Run]")
    expect(page.locator("#banner")).to_contain_text("Cannot run VM pw-a1: it is already up.")

    page.click("#actions button[data-action='Power Off']")
    expect(page.locator(".dialog")).to_contain_text("Power off virtual machine pw-a1?")
    page.click(".dialog button:text-is('OK')")
    portal.estate.wait_vm_status(vms["pw-a1"], t.VmStatus.DOWN)
    assert not page.errors


def test_keyboard_drives_the_grid(page, portal, vms):
    log_in(page, portal)
    page.wait_for_selector("body[data-loaded=vms]")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    expect(page.locator("#search")).to_be_focused()
    page.keyboard.type("name=pw-a*")
    page.keyboard.press("Enter")
    expect(page.locator("#grid tbody tr")).to_have_count(2)
    page.keyboard.press("ArrowDown")
    expect(page.locator("#grid tbody tr.selected")).to_have_count(1)
    first = page.locator("#grid tbody tr.selected td:nth-child(2)").inner_text()
    page.keyboard.press("ArrowDown")
    second = page.locator("#grid tbody tr.selected td:nth-child(2)").inner_text()
    assert {first, second} == {"pw-a1", "pw-a2"}
    page.keyboard.press("Enter")
    expect(page.locator("#subtabs button.active")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#subtabs button.active")).to_have_text("Disks")
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).to_be_hidden()
    page.keyboard.press("Alt+3")
    page.wait_for_selector("body[data-loaded=hosts]")
    assert not page.errors
