"""Shared pieces of the end-to-end tests: marks, logging in, screenshots."""

import os
from pathlib import Path

import pytest

# The passwords tests.role_fixtures.staff_in gives its users.
OPS_PASSWORD = "pw-ops-123"
MANAGER_PASSWORD = "pw-manager-123"
ROOT = Path(__file__).resolve().parents[2]
# Every run takes the screenshots (and checks the pages behind them); only
# OMS_UPDATE_SCREENSHOTS=1 writes them over the README's copies in docs/screenshots/.
SCREENSHOTS = ROOT / ("docs" if os.environ.get("OMS_UPDATE_SCREENSHOTS") == "1" else "test-artifacts") / "screenshots"

# Every e2e module starts with `pytestmark = E2E`: a browser against the live server, whose
# transactional flush would drop the data migrations' rows (carriers) without serialized_rollback.
E2E = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.urls("tests.e2e.urls"),
]


def log_in(page, username, password, path="/admin/"):
    """Open `path`, which sends a stranger to the login form, and log in there as a person does.

    Returns once the page after the login has loaded with its stylesheets and fonts, so a test
    that measures the layout next never measures a half-styled page."""
    page.goto(path)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="登录").click()
    page.evaluate("document.fonts.ready.then(() => true)")


def save_screenshot(page, name):
    """Write <name>.png (the viewport, 1366x768) to SCREENSHOTS."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path)
    return path
