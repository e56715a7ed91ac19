"""What each role may see and do in the admin: allowed pages work, refused ones are 403."""

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import StockMovement
from orders import services
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db
ORDERS = reverse("admin:orders_order_changelist")


def order_url(order, view="change"):
    return reverse(f"admin:orders_order_{view}", args=[order.pk])


def item_url(item, view="change"):
    return reverse(f"admin:inventory_inventoryitem_{view}", args=[item.pk])


def change_form_data(order, **overrides):
    data = {
        "order_no": order.order_no,
        "customer_id": order.customer_id,
        "item": order.item_id,
        "quantity": order.quantity,
        "created_at_0": "2026-01-05",
        "created_at_1": "10:00:00",
        "note": order.note,
        "receiver_name": order.receiver_name,
        "receiver_phone": order.receiver_phone,
        "address": order.address,
        "status": order.status,
        "carrier": order.carrier_id or "",
        "tracking_number": order.tracking_number,
        "stock_movements-TOTAL_FORMS": "0",
        "stock_movements-INITIAL_FORMS": "0",
        "stock_movements-MIN_NUM_FORMS": "0",
        "stock_movements-MAX_NUM_FORMS": "0",
    }
    data.update(overrides)
    return data


def list_save_data(client, order, **fields):
    """The list page's editable row for `order` as the browser posts it, with `fields` changed."""
    form = {f.instance.pk: f for f in client.get(ORDERS).context["cl"].formset.forms}[order.pk]
    row = {
        "id": order.pk,
        "status": form.initial["status"],
        "carrier": form.initial.get("carrier") or "",
        "tracking_number": form.initial.get("tracking_number", ""),
        "version": form["version"].value(),
        **fields,
    }
    data = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000"}
    data.update({f"form-0-{name}": value for name, value in row.items()})
    return {**data, "_save": "保存"}


# ---- 运营 (ops) ----


def test_ops_ships_from_the_list(ops_client, ops_user, ledger_is_consistent):
    order = OrderFactory()
    data = list_save_data(ops_client, order, carrier=carrier("SF").pk, tracking_number=sf_number(1))
    assert ops_client.post(ORDERS, data).status_code == 302
    order.refresh_from_db()
    assert (order.status, order.shipped_by) == (Order.Status.SHIPPED, ops_user)
    assert order.history.latest().history_user == ops_user
    ledger_is_consistent()


def test_ops_list_offers_shipping_inputs_and_no_delete_or_add(ops_client):
    OrderFactory()
    response = ops_client.get(ORDERS)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="form-0-status"' in html and 'name="form-0-tracking_number"' in html
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "mark_shipped" in actions
    assert "delete_selected" not in actions
    assert reverse("admin:orders_order_add") not in html


def test_ops_ships_from_the_order_page_and_with_the_bulk_action(ops_client, ops_user, ledger_is_consistent):
    order, queued = OrderFactory(), OrderFactory(carrier=carrier("SF"), tracking_number=sf_number(2))
    data = change_form_data(order, carrier=carrier("SF").pk, tracking_number=sf_number(1))
    assert ops_client.post(order_url(order), data).status_code == 302
    ops_client.post(ORDERS, {"action": "mark_shipped", "_selected_action": [queued.pk]})
    for shipped in (order, queued):
        shipped.refresh_from_db()
        assert (shipped.status, shipped.shipped_by) == (Order.Status.SHIPPED, ops_user)
    ledger_is_consistent()


def test_ops_change_page_locks_order_details_but_not_receiver_or_shipping(ops_client):
    order = OrderFactory()
    html = ops_client.get(order_url(order)).content.decode()
    for editable in ["receiver_name", "receiver_phone", "address", "status", "carrier", "tracking_number"]:
        assert f'name="{editable}"' in html
    for locked in ["order_no", "item", "quantity", "customer_id", "note"]:
        assert f'name="{locked}"' not in html
    assert order.order_no in html  # shown, as text


def test_ops_post_cannot_change_locked_fields(ops_client, ops_user):
    order = OrderFactory(quantity=1)
    other = ItemFactory(initial_stock=5)
    data = change_form_data(order, order_no="HACKED", item=other.pk, quantity=9, receiver_name="李四")
    response = ops_client.post(order_url(order), data)
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.order_no, order.item_id, order.quantity) != ("HACKED", other.pk, 9)
    assert order.receiver_name == "李四"


@pytest.mark.parametrize(
    "url",
    [
        lambda o: order_url(o, "delete"),
        lambda o: reverse("admin:orders_order_add"),
        lambda o: reverse("admin:orders_carrier_changelist"),
        lambda o: reverse("admin:orders_carrier_change", args=[carrier("SF").pk]),
        lambda o: reverse("admin:auth_user_changelist"),
        lambda o: reverse("admin:auth_group_changelist"),
        lambda o: item_url(o.item, "delete"),
        lambda o: reverse("admin:inventory_inventoryitem_add"),
    ],
)
def test_ops_refused_pages_are_403(ops_client, url):
    order = OrderFactory()
    assert ops_client.get(url(order)).status_code == 403


def test_ops_cannot_delete_or_correct_stock(ops_client):
    order = OrderFactory()
    assert ops_client.post(order_url(order, "delete"), {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()
    item = order.item
    page = ops_client.get(item_url(item))
    assert page.status_code == 200
    assert 'name="stock_delta"' not in page.content.decode()
    data = {"sku": item.sku, "name": item.name, "low_stock_threshold": 5, "stock_delta": 5, "stock_reason": "receive"}
    assert ops_client.post(item_url(item), data).status_code == 403
    item.refresh_from_db()
    assert item.stock == 100


# ---- 经理 (managers) ----


def test_manager_list_is_read_only(manager_client):
    order = OrderFactory()
    response = manager_client.get(ORDERS)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="form-0-status"' not in html
    assert "待发货" in html  # the status still shows, as text
    actions = dict(response.context["action_form"].fields["action"].choices) if response.context["action_form"] else {}
    assert "mark_shipped" not in actions and "delete_selected" not in actions
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": order.pk,
        "form-0-status": "shipped",
        "form-0-carrier": carrier("SF").pk,
        "form-0-tracking_number": sf_number(1),
        "_save": "保存",
    }
    assert manager_client.post(ORDERS, data).status_code == 403
    bulk = {"action": "mark_shipped", "_selected_action": [order.pk]}
    manager_client.post(ORDERS, bulk)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING


def test_manager_sees_order_page_but_cannot_edit(manager_client):
    order = OrderFactory()
    page = manager_client.get(order_url(order))
    assert page.status_code == 200
    assert 'name="receiver_name"' not in page.content.decode()
    response = manager_client.post(order_url(order), change_form_data(order, receiver_name="王五"))
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.receiver_name == "张三"
    assert manager_client.get(order_url(order, "delete")).status_code == 403


def test_manager_views_carriers_and_ledger_but_cannot_change_carriers_or_users(manager_client):
    sf = carrier("SF")
    assert manager_client.get(reverse("admin:orders_carrier_changelist")).status_code == 200
    assert manager_client.get(reverse("admin:inventory_stockmovement_changelist")).status_code == 200
    data = {"name": "改名", "code": "SF", "tracking_url_template": "", "tracking_number_pattern": "", "sort_order": 1}
    assert manager_client.post(reverse("admin:orders_carrier_change", args=[sf.pk]), data).status_code == 403
    assert manager_client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_manager_corrects_stock_through_the_ledger(manager_client, manager_user, ledger_is_consistent):
    item = ItemFactory(initial_stock=10)
    data = {
        "sku": item.sku,
        "name": item.name,
        "low_stock_threshold": 5,
        "stock_delta": -3,
        "stock_reason": "adjust",
        "stock_note": "破损报废",
        "movements-TOTAL_FORMS": "0",
        "movements-INITIAL_FORMS": "0",
    }
    response = manager_client.post(item_url(item), data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.stock == 7
    movement = item.movements.latest("id")
    assert (movement.delta, movement.reason, movement.created_by, movement.note) == (
        -3,
        StockMovement.Reason.ADJUST,
        manager_user,
        "破损报废",
    )
    ledger_is_consistent()


# ---- superuser and CSRF ----


def test_superuser_may_edit_every_order_field(clerk_client):
    order = OrderFactory()
    html = clerk_client.get(order_url(order)).content.decode()
    for name in ["order_no", "item", "quantity", "receiver_name", "status"]:
        assert f'name="{name}"' in html


def test_admin_posts_require_the_csrf_token(clerk):
    order = OrderFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    refused = client.post(order_url(order), change_form_data(order, receiver_name="李四"))
    assert refused.status_code == 403
    order.refresh_from_db()
    assert order.receiver_name == "张三"

    token = client.get(order_url(order)).context["csrf_token"]
    accepted = client.post(order_url(order), change_form_data(order, receiver_name="李四", csrfmiddlewaretoken=token))
    assert accepted.status_code == 302
    order.refresh_from_db()
    assert order.receiver_name == "李四"


def test_list_save_requires_the_csrf_token(clerk):
    order = OrderFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    data = {"action": "mark_shipped", "_selected_action": [order.pk]}
    assert client.post(ORDERS, data).status_code == 403


def test_shipped_order_via_service_still_visible_to_both_roles(ops_client, manager_user):
    order = OrderFactory()
    services.ship_order(order, carrier("SF"), sf_number(5))
    assert ops_client.get(order_url(order)).status_code == 200
    ops_client.force_login(manager_user)
    assert ops_client.get(order_url(order)).status_code == 200
