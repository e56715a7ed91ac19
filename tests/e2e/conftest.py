"""Fixtures for the end-to-end tests: Debian's Chromium driven by Playwright against live_server.

Run them alone with `python -m pytest -m e2e`. The browser is the system's /usr/bin/chromium;
`playwright install` is never needed.
"""

import os

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

from accounts.roles import MANAGERS, OPS
from tests.role_fixtures import staff_in

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}


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


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """People log in through the real form; only the hash is cheap (PBKDF2 costs ~0.7 s a login here)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def context(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url,
        viewport=VIEWPORT,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def ops_user(django_user_model):
    """A shipping clerk in the 运营 group that setup_roles makes."""
    return named(staff_in(django_user_model, "ops", OPS), "张", "伟")


@pytest.fixture
def manager(django_user_model):
    """A manager in the 经理 group."""
    return named(staff_in(django_user_model, "manager", MANAGERS), "王", "芳")


def named(user, last_name, first_name):
    user.last_name, user.first_name = last_name, first_name
    user.save(update_fields=["last_name", "first_name"])
    return user
