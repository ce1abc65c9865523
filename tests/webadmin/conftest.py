"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, a lab engine with an estate, a page.

The browser is the system's ``/usr/bin/chromium`` (never one Playwright downloads). A failing test keeps a
screenshot in ``build/webadmin-screenshots/`` (or ``$VDC_SCREENSHOTS``).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import under_ci
from tests.hosts.helpers import Estate, connect, ensure_estate
from tests.live import LiveEngine

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("VDC_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "build" /
                   "webadmin-screenshots")
TIMEOUT_MS = 15_000


def _missing(reason: str) -> None:
    if under_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test session (per xdist worker)."""
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"{CHROMIUM} not found; `make setup` installs Debian's chromium")
    try:
        from playwright.sync_api import expect, sync_playwright

        expect.set_options(timeout=TIMEOUT_MS)  # assertions wait as long as actions do (a loaded machine is slow)
    except ImportError:
        _missing("playwright is not installed; `make setup` installs the test extras")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@dataclass
class Portal:
    live: LiveEngine
    estate: Estate

    @property
    def url(self) -> str:
        return self.live.url.replace("/ovirt-engine/api", "/ovirt-engine/webadmin/")

    @property
    def origin(self) -> str:
        return self.live.url.split("/ovirt-engine/")[0]


@pytest.fixture(scope="module")
def portal(lab_engine) -> Iterator[Portal]:
    """The module's lab engine with both hosts up and an active NFS domain."""
    conn = connect(lab_engine)
    try:
        yield Portal(lab_engine, ensure_estate(lab_engine, conn, tempfile.mkdtemp(prefix="vdc-webadmin-nfs-")))
    finally:
        conn.close()


def new_page(browser, request, settings: dict[str, str] | None = None):
    """A fresh browser context and page; ``settings`` go to the portal's localStorage before it loads."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    if settings:
        items = "".join(f"localStorage.setItem({k!r}, {v!r});" for k, v in settings.items())
        context.add_init_script(items)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    return context, page


@pytest.fixture
def page(browser, request):
    """A page with auto refresh every 2 s; a screenshot is kept when the test fails."""
    context, page = new_page(browser, request, {"vdc.webadmin.refresh": "2"})
    yield page
    keep_screenshot(request, page)
    context.close()


def keep_screenshot(request, page) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.nodeid)[-150:]
        try:
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        except Exception:  # a page that is gone has nothing to show
            pass


def log_in(page, portal: Portal, user: str = "admin@internal", password: str | None = None) -> None:
    page.goto(portal.url)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password or portal.live.password)
    page.click("#login-button")


def open_place(page, label: str, token: str) -> None:
    page.click(f"#places a:text-is('{label}')")
    page.wait_for_selector(f"body[data-loaded={token}]")


PLUGINS = Path(__file__).parent / "plugins"


def pack(directory: Path, extra: dict[str, bytes] | None = None) -> bytes:
    """A tar.gz of a plugin directory (its descriptor and resource directory), as an operator would make it."""
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path in sorted(directory.rglob("*")):
            tar.add(path, arcname=path.relative_to(directory).as_posix(), recursive=False)
        for name, content in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()
