"""Fixtures for the end-to-end tests: Debian's Chromium driven by Playwright against live_server.

Run them alone with `python -m pytest -m e2e`. The browser (`chromium`, one per session) is in
tests/browser.py.
"""

import pytest

from accounts.roles import MANAGERS, OPS
from tests.role_fixtures import staff_in

VIEWPORT = {"width": 1366, "height": 768}


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
