"""Real-browser tests: Debian's Chromium driven by Playwright, against pytest-django's live server."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
# Playwright's sync API keeps an event loop in this thread; Django's ORM calls here are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page_for(browser, live_server):
    """page_for(user, viewport=…) → a Playwright page logged in as that user (session cookie).
    timezone_id sets the browser's own time zone (pages must not depend on it).

    Any Content-Security-Policy or Permissions-Policy complaint Chromium logs fails the test, whether
    or not the test looks at page.problems: a blocked script or style is a broken page."""
    from django.conf import settings
    from django.test import Client

    from tests.conftest import log_in

    contexts = []
    pages = []

    def _page_for(user=None, *, width: int = 1280, height: int = 900, locale: str = "es-AR", timezone_id=None):
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale=locale, timezone_id=timezone_id
        )
        contexts.append(context)
        if user is not None:
            client = Client()
            log_in(client, user)  # staff sessions carry the second factor
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page.problems = []
        page.policy_violations = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
        page.on(
            "console",
            lambda m: is_policy_violation(m.text) and page.policy_violations.append(f"{page.url}: {m.text}"),
        )
        page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
        page.on("response", lambda r: r.status >= 400 and page.problems.append(f"HTTP {r.status} {r.url}"))
        pages.append(page)
        return page

    yield _page_for
    for context in contexts:
        context.close()
    violations = [text for page in pages for text in page.policy_violations]
    if violations:
        pytest.fail("Chromium reported security-policy violations:\n" + "\n".join(violations))


def is_policy_violation(text: str) -> bool:
    """Chromium's console wording for a blocked resource or a policy header it could not read."""
    return any(
        marker in text
        for marker in ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy", "Permissions policy")
    )


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
