"""The 快递接口 section (电子面单, 批次, 寄件人, 物流跟踪) exists only while Kuaidi100 is configured."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import MANAGERS, OPS
from tests.role_fixtures import staff_in

pytestmark = pytest.mark.django_db

PAGES = ["sender", "waybill", "waybillbatch", "tracking"]
SECTION = "快递接口"


@pytest.fixture(params=["admin", "ops", "manager"])
def role_client(request, django_user_model):
    if request.param == "admin":
        user = django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    else:
        user = staff_in(django_user_model, request.param, OPS if request.param == "ops" else MANAGERS)
    client = Client()
    client.force_login(user)
    return client


def test_hidden_for_every_role_when_not_configured(settings, role_client):
    settings.KUAIDI100 = {"KEY": "", "SECRET": "", "CUSTOMER": ""}
    index = role_client.get(reverse("admin:index")).content.decode()
    assert SECTION not in index and "/admin/logistics/" not in index
    for page in PAGES:
        response = role_client.get(reverse(f"admin:logistics_{page}_changelist"))
        assert response.status_code == 403, page
        assert "没有权限" in response.content.decode()
    assert role_client.get("/admin/logistics/").status_code == 404  # no app page either


def test_shown_to_those_who_may_see_it_when_configured(settings, role_client):
    settings.KUAIDI100 = {"KEY": "key", "SECRET": "secret", "CUSTOMER": "customer"}
    index = role_client.get(reverse("admin:index")).content.decode()
    assert SECTION in index
    visible = [page for page in PAGES if f"/admin/logistics/{page}/" in index]
    assert "waybill" in visible and "waybillbatch" in visible  # what each role may see of it
    for page in visible:
        assert role_client.get(reverse(f"admin:logistics_{page}_changelist")).status_code == 200, page
