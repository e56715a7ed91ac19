"""The admin index's figures are order data: only roles that may read orders see them."""

import pytest
from django.urls import reverse

from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

FIGURES = ["oms-dashboard", "待发货", "今日发货（包裹）", "已超时未发货", "今天到期", "近 14 天每日发货包裹数"]
FIGURES += ["低库存"]


@pytest.fixture
def nobody_client(client, django_user_model):
    """A staff user in no group: may log in to the admin, may read nothing."""
    client.force_login(django_user_model.objects.create_user("temp", password="pw-temp-12345", is_staff=True))
    return client


def test_a_staff_user_in_no_group_sees_no_figures(nobody_client):
    ItemFactory(initial_stock=1, low_stock_threshold=5)
    response = nobody_client.get("/admin/")
    assert response.status_code == 200
    content = response.content.decode()
    assert [figure for figure in FIGURES if figure in content] == []


def test_ops_see_the_figures_but_not_the_report_link(ops_client):
    content = ops_client.get("/admin/").content.decode()
    assert all(figure in content for figure in FIGURES)
    assert reverse("admin:shipping_report") not in content


def test_managers_see_the_figures_and_the_report_link(manager_client):
    content = manager_client.get("/admin/").content.decode()
    assert all(figure in content for figure in FIGURES)
    assert reverse("admin:shipping_report") in content
