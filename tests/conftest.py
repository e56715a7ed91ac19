import pytest
from django.core.cache import cache
from django.db import connection

from inventory.selectors import items_with_ledger_drift
from tests.browser import chromium  # noqa: F401  (one browser for every e2e test of the session)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded files go to a temporary folder, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Nothing a test cached (the scan desk's 等待补货 count) is seen by the next one."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clerk(django_user_model):
    return django_user_model.objects.create_superuser("clerk", "clerk@example.com", "pw-clerk-123")


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def ledger_is_consistent():
    """Call at the end of a test: every item's stock equals the sum of its ledger."""

    def check():
        drift = [(i.sku, i.stock, i.ledger_total) for i in items_with_ledger_drift()]
        assert drift == []

    return check


def on_mysql():
    return connection.vendor == "mysql"
