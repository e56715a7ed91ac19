"""Staff users in the roles setup_roles creates. Imported by the conftest of the folders that use them."""

import pytest
from django.contrib.auth.models import Group

from accounts.roles import MANAGERS, OPS, setup_roles


def staff_in(django_user_model, username, group_name):
    setup_roles()
    user = django_user_model.objects.create_user(username, f"{username}@example.com", f"pw-{username}-123")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def ops_user(django_user_model):
    return staff_in(django_user_model, "ops", OPS)


@pytest.fixture
def manager_user(django_user_model):
    return staff_in(django_user_model, "manager", MANAGERS)


@pytest.fixture
def ops_client(client, ops_user):
    client.force_login(ops_user)
    return client


@pytest.fixture
def manager_client(client, manager_user):
    client.force_login(manager_user)
    return client
