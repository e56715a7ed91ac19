import pytest

from tests.role_fixtures import manager_client, manager_user, ops_client, ops_user

__all__ = ["manager_client", "manager_user", "ops_client", "ops_user"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """These tests create and log in several users; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
