"""Headless Chromium driven by Playwright against a live server (pytest-django's live_server,
a real HTTP server on loopback in this process). Debian's chromium is used; Playwright's own
browser builds are never downloaded."""

import os
import shutil

import pytest
from django.db import connections

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _skip_reason() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e .[dev])"
    return ""


@pytest.fixture
def browser_page(live_server):
    """A fresh browser context (no cookies) on a new page; loopback traffic only."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django then refuses database
    # calls from the test body unless told this thread is still synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(accept_downloads=True)
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
                else route.abort()
            ),
        )
        context.set_default_timeout(20_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # Django keeps a connection per asyncio context, and with Playwright's event loop in
            # this thread the one the test and its fixtures used is not the one pytest-django
            # closes before dropping the test database: closed here, or the drop fails ("being
            # accessed by 1 other session") and leaves the database behind.
            connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
