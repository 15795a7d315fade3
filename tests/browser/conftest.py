"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server."""

import os
import re
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
NO_CHROMIUM = f"Chromium not found at {CHROMIUM}; install with apt-get install -y chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    page.screenshot(path=str(ARTIFACTS / f"{name}-last.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def shot(page, request):
    """Save a named screenshot of the current page under test-artifacts/."""

    def take(label: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        path = ARTIFACTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in(page, live_server):
    def login(username: str, password: str = PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        with page.expect_navigation():  # the next goto must not cut the sign-in short
            page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return login


def pytest_collection_modifyitems(config, items):
    """Screenshot runs write into docs/; they run only when asked for with `-m screenshots`."""
    if "screenshots" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="writes docs/screenshots/; run with -m screenshots (make screenshots)")
    for item in items:
        if "screenshots" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _browser_tests_are_transactional(transactional_db):
    """The live server reads what the test writes, so browser tests run in real transactions."""


def pytest_terminal_summary(terminalreporter):
    """A run without Chromium must say at its end that the browser tests did not run."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and NO_CHROMIUM in str(report.longrepr[2])
    ]
    if skipped:
        count = len(skipped)
        terminalreporter.write_line(
            f"{count} browser test{'' if count == 1 else 's'} skipped: {NO_CHROMIUM}", yellow=True, bold=True
        )
