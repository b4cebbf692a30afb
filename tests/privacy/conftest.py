# The browser tests' fixtures (Chromium through Playwright), for test_pages_in_a_browser.py.
from tests.browser.conftest import browser, page_for  # noqa: F401
