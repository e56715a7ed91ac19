"""The one headless Chromium that every browser test in a pytest session shares.

Registered in tests/conftest.py. Playwright's sync API allows one running instance per thread, so
two browser fixtures (say, one per test folder) would refuse each other: all of them use this.
Debian's /usr/bin/chromium is driven directly; `playwright install` is never needed.
"""

import os

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole session; each test gets a fresh context."""
    # Playwright's sync API leaves its asyncio loop registered as running on this thread while the
    # browser lives. Django then (1) refuses ORM calls as "async unsafe" and (2) keeps the thread's
    # connections in a separate, async-only store, where fresh connection objects would lack the
    # test database's serialized contents (serialized_rollback) and the live server's shared SQLite
    # connection. Both are safe to bypass: each Playwright call blocks until done, and nothing runs
    # on that loop while Django queries the database. So: allow the calls, keep the same connections.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sync_connections = {alias: connections[alias] for alias in connections}
    try:
        with sync_playwright() as playwright:
            for alias, connection in sync_connections.items():
                connections[alias] = connection
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
