import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from orders.models import ReceiverReveal
from orders.privacy import full_receiver_text, mask_phone, record_bulk_reveal, short_address
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812340000", "138****0000"),
        (" 13812340000 ", "138****0000"),
        ("021-12345678", "021****5678"),
        ("+8613812340000", "+86****0000"),
        ("12345", "1***5"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("address", "short"),
    [
        ("上海市浦东新区张杨路100号1栋101室", "上海市浦东新区****"),
        ("广东省广州市天河区天河路8号", "广东省广州市天河区****"),
        ("北京市朝阳区建国路 1 号", "北京市朝阳区****"),
        ("新疆维吾尔自治区乌鲁木齐市天山区人民路1号", "新疆维吾尔自治区乌鲁木齐市天山区****"),
        ("浙江省杭州市", "浙江省杭州市"),
        ("某某大街 123 号", "某某大街 1****"),
        ("", ""),
    ],
)
def test_short_address(address, short):
    assert short_address(address) == short


def test_copy_endpoint_returns_the_full_text_and_records_the_reveal(clerk_client, clerk):
    order = OrderFactory(receiver_phone="13812345678")
    url = reverse("admin:orders_order_receiver", args=[order.pk])
    response = clerk_client.post(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert json.loads(response.content) == {"text": full_receiver_text(order)}
    assert "13812345678" in full_receiver_text(order)
    reveal = ReceiverReveal.objects.get()
    assert (reveal.order, reveal.order_no, reveal.user, reveal.how) == (order, order.order_no, clerk, "copy")


def test_copy_endpoint_refuses_get_and_strangers(clerk_client):
    order = OrderFactory()
    url = reverse("admin:orders_order_receiver", args=[order.pk])
    assert clerk_client.get(url).status_code == 405
    assert Client().post(url).status_code == 302  # to the login page
    assert clerk_client.post(reverse("admin:orders_order_receiver", args=[999999])).status_code == 404
    assert not ReceiverReveal.objects.exists()


def test_list_page_embeds_no_full_details(clerk_client):
    order = OrderFactory(receiver_phone="13812345678")
    html = clerk_client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "13812345678" not in html
    assert order.address not in html
    assert reverse("admin:orders_order_receiver", args=[order.pk]) in html
    assert not ReceiverReveal.objects.exists()


def test_change_page_shows_full_details_and_records_it(clerk_client, clerk):
    order = OrderFactory(receiver_phone="13812345678")
    html = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "13812345678" in html
    assert list(ReceiverReveal.objects.values_list("how", "user", "order")) == [("page", clerk.pk, order.pk)]


def test_the_log_survives_the_order(clerk):
    order = OrderFactory(order_no="GONE1")
    record_bulk_reveal([order], clerk, ReceiverReveal.How.EXPORT, detail="CSV 导出")
    order.delete()
    reveal = ReceiverReveal.objects.get()
    assert (reveal.order, reveal.order_no, reveal.how) == (None, "GONE1", "export")


def test_reveal_log_admin_is_read_only(clerk_client):
    OrderFactory()
    changelist = reverse("admin:orders_receiverreveal_changelist")
    assert clerk_client.get(changelist).status_code == 200
    assert clerk_client.get(reverse("admin:orders_receiverreveal_add")).status_code == 403


def test_full_export_permission_exists():
    assert Permission.objects.filter(codename="export_full_receiver", content_type__app_label="orders").exists()


def test_export_helpers_mask_unless_permitted(django_user_model):
    from orders.privacy import may_export_full, receiver_for_export

    order = OrderFactory(receiver_phone="13812345678", address="上海市浦东新区张杨路 100 号")
    assert receiver_for_export(order, full=False) == ("138****5678", "上海市浦东新区****")
    assert receiver_for_export(order, full=True) == ("13812345678", "上海市浦东新区张杨路 100 号")
    staff = django_user_model.objects.create_user("ops", password="x", is_staff=True)
    assert not may_export_full(staff)
    staff.user_permissions.add(Permission.objects.get(codename="export_full_receiver"))
    staff = django_user_model.objects.get(pk=staff.pk)  # permissions are cached per instance
    assert may_export_full(staff)


def test_roles_managers_read_the_reveal_log_ops_are_offered_the_scan_desk(django_user_model, client):
    from django.contrib.auth.models import Group

    from accounts.roles import MANAGERS, OPS, setup_roles

    setup_roles()
    ops = django_user_model.objects.create_user("ops1", password="x", is_staff=True)
    ops.groups.add(Group.objects.get(name=OPS))
    manager = django_user_model.objects.create_user("mgr1", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    log = reverse("admin:orders_receiverreveal_changelist")
    client.force_login(ops)
    assert client.get(log).status_code == 403
    assert "扫码发货" in client.get(reverse("admin:orders_order_changelist")).content.decode()
    client.force_login(manager)
    assert client.get(log).status_code == 200
    assert "扫码发货" not in client.get(reverse("admin:orders_order_changelist")).content.decode()


def test_history_page_shows_receivers_and_records_the_reveal(clerk_client, clerk):
    order = OrderFactory(receiver_phone="13812345678")
    ReceiverReveal.objects.all().delete()

    response = clerk_client.get(reverse("admin:orders_order_history", args=[order.pk]))

    assert response.status_code == 200
    reveal = ReceiverReveal.objects.get()
    assert (reveal.order, reveal.user, reveal.how, reveal.detail) == (order, clerk, "page", "操作记录")


def test_list_with_shipped_partial_and_mergeable_rows_has_no_full_phone_or_address(clerk_client):
    from orders import services
    from tests.factories import carrier, sf_number

    orders = [OrderFactory(receiver_phone="13812345678", address="上海市浦东新区张杨路 100 号") for _ in range(3)]
    services.ship_order(orders[0], carrier("SF"), sf_number(1))

    for status in ("unshipped", "all", "shipped"):
        html = clerk_client.get(reverse("admin:orders_order_changelist"), {"ship_status": status}).content.decode()
        assert "13812345678" not in html and "张杨路" not in html
