"""What each role may see and do in the admin: allowed pages work, refused ones are 403."""

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import StockMovement
from orders import services
from orders.models import Order, Parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.orders.test_admin_order_page import form_data

pytestmark = pytest.mark.django_db
ORDERS = reverse("admin:orders_order_changelist")


def order_url(order, view="change"):
    return reverse(f"admin:orders_order_{view}", args=[order.pk])


def item_url(item, view="change"):
    return reverse(f"admin:inventory_inventoryitem_{view}", args=[item.pk])


def change_form_data(client, order, **overrides):
    """The order page as `client` sees it now, posted back with `overrides`."""
    return form_data(client.get(order_url(order)), **overrides)


def list_save_data(client, order, **fields):
    """The list page's rows as the browser posts them, with `fields` typed on `order`'s row."""
    formset = client.get(ORDERS).context["cl"].formset
    data = {f"form-{key}": value for key, value in formset.management_form.initial.items()}
    for index, form in enumerate(formset.forms):
        row = {"id": form.instance.pk, "carrier": "", "tracking_number": "", "version": form["version"].value()}
        if form.instance.pk == order.pk:
            row.update(fields)
        data.update({f"form-{index}-{name}": value for name, value in row.items()})
    return {**data, "_save": "保存"}


# ---- 运营 (ops) ----


def test_ops_ships_from_the_list(ops_client, ops_user, ledger_is_consistent):
    order = OrderFactory()
    data = list_save_data(ops_client, order, carrier=carrier("SF").pk, tracking_number=sf_number(1))
    assert ops_client.post(ORDERS, data).status_code == 302
    order.refresh_from_db()
    assert (order.status, Parcel.objects.get().shipped_by) == (Order.Status.SHIPPED, ops_user)
    assert order.history.latest().history_user == ops_user
    ledger_is_consistent()


def test_ops_list_offers_shipping_inputs_void_cancel_and_adding_orders_but_no_delete(ops_client):
    OrderFactory()
    response = ops_client.get(ORDERS)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="form-0-carrier"' in html and 'name="form-0-tracking_number"' in html
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert {"void_parcels", "cancel_orders"} <= set(actions)
    assert "delete_selected" not in actions
    # Ops take orders in: 新增, 导入订单 and 粘贴下单 are theirs (accounts.roles).
    assert reverse("admin:orders_order_add") in html
    assert ops_client.get(reverse("admin:orders_order_add_from_message")).status_code == 200


def test_ops_ships_part_and_voids_from_the_order_page(ops_client, ops_user, ledger_is_consistent):
    order = OrderFactory(quantity=2)
    line = order.lines.get()
    ship_part = reverse("admin:orders_order_ship_part", args=[order.pk])
    assert ops_client.post(ship_part, {f"line_{line.pk}": 1, "tracking_number": sf_number(2)}).status_code == 302
    parcel = Parcel.objects.get()
    assert (parcel.shipped_by, Order.objects.get(pk=order.pk).status) == (ops_user, Order.Status.PARTIAL)
    void = reverse("admin:orders_order_void_parcel", args=[order.pk, parcel.pk])
    assert ops_client.post(void, {"post": "yes"}).status_code == 302
    assert Parcel.objects.get().voided_by == ops_user
    ledger_is_consistent()


def test_ops_change_page_locks_order_details_and_lines_but_not_the_receiver(ops_client):
    order = OrderFactory()
    html = ops_client.get(order_url(order)).content.decode()
    for editable in ["receiver_name", "receiver_phone", "address", "version"]:
        assert f'name="{editable}"' in html
    for locked in ["order_no", "customer_id", "note", "lines-0-item", "lines-0-quantity"]:
        assert f'name="{locked}"' not in html
    assert order.order_no in html and order.lines.get().item.sku in html  # shown, as text


def test_ops_post_cannot_change_locked_fields_or_lines(ops_client, ops_user):
    order = OrderFactory(quantity=1)
    line = order.lines.get()
    other = ItemFactory(initial_stock=5)
    data = change_form_data(
        ops_client, order, order_no="HACKED", receiver_name="李四", **{"lines-0-item": other.pk, "lines-0-quantity": 9}
    )
    data.update({"lines-0-id": line.pk, "lines-0-order": order.pk})
    response = ops_client.post(order_url(order), data)
    assert response.status_code == 302
    order.refresh_from_db()
    line.refresh_from_db()
    assert (order.order_no, line.item_id, line.quantity) == (order.order_no, line.item_id, 1)
    assert order.order_no != "HACKED" and line.item_id != other.pk
    assert order.receiver_name == "李四"


def test_ops_cannot_open_the_shipping_report(ops_client):
    assert ops_client.get(reverse("admin:shipping_report")).status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        lambda o: order_url(o, "delete"),
        lambda o: reverse("admin:orders_carrier_add"),
        lambda o: reverse("admin:auth_user_changelist"),
        lambda o: reverse("admin:auth_group_changelist"),
        lambda o: item_url(o.lines.get().item, "delete"),
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
    item = order.lines.get().item
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
    assert 'name="form-0-tracking_number"' not in html
    assert "待发货" in html  # the status still shows, as a badge
    actions = dict(response.context["action_form"].fields["action"].choices) if response.context["action_form"] else {}
    assert not {"void_parcels", "cancel_orders", "delete_selected"} & set(actions)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": order.pk,
        "form-0-carrier": carrier("SF").pk,
        "form-0-tracking_number": sf_number(1),
        "_save": "保存",
    }
    assert manager_client.post(ORDERS, data).status_code == 403
    manager_client.post(ORDERS, {"action": "cancel_orders", "_selected_action": [order.pk], "post": "yes"})
    ship_part = reverse("admin:orders_order_ship_part", args=[order.pk])
    assert manager_client.post(ship_part, {"tracking_number": sf_number(1)}).status_code == 403
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and not Parcel.objects.exists()


def test_manager_sees_order_page_but_cannot_edit_and_may_read_the_report(manager_client, manager_user):
    order = OrderFactory()
    page = manager_client.get(order_url(order))
    assert page.status_code == 200
    assert 'name="receiver_name"' not in page.content.decode()
    data = {"receiver_name": "王五", "version": order.updated_at.isoformat()}
    assert manager_client.post(order_url(order), data).status_code == 403
    order.refresh_from_db()
    assert order.receiver_name == "张三"
    assert manager_client.get(order_url(order, "delete")).status_code == 403
    assert manager_user.has_perm("orders.view_shipping_report")  # the report page checks exactly this


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


def test_superuser_may_edit_every_order_field_and_the_lines(clerk_client):
    order = OrderFactory()
    html = clerk_client.get(order_url(order)).content.decode()
    for name in ["order_no", "lines-0-item", "lines-0-quantity", "lines-0-sub_order_no", "receiver_name"]:
        assert f'name="{name}"' in html


def test_admin_posts_require_the_csrf_token(clerk):
    order = OrderFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    data = change_form_data(client, order, receiver_name="李四")
    refused = client.post(order_url(order), data)
    assert refused.status_code == 403
    order.refresh_from_db()
    assert order.receiver_name == "张三"

    token = client.get(order_url(order)).context["csrf_token"]
    accepted = client.post(order_url(order), {**data, "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    order.refresh_from_db()
    assert order.receiver_name == "李四"


def test_list_save_requires_the_csrf_token(clerk):
    order = OrderFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    data = {"action": "cancel_orders", "_selected_action": [order.pk], "post": "yes"}
    assert client.post(ORDERS, data).status_code == 403
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING


def test_shipped_order_via_service_still_visible_to_both_roles(ops_client, manager_user):
    order = OrderFactory()
    services.ship_order(order, carrier("SF"), sf_number(5))
    assert ops_client.get(order_url(order)).status_code == 200
    ops_client.force_login(manager_user)
    assert ops_client.get(order_url(order)).status_code == 200


def test_ops_read_the_carriers_number_formats_but_cannot_change_them(ops_client):
    sf = carrier("SF")
    page = ops_client.get(reverse("admin:orders_carrier_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "顺丰单号为 SF 加 12–13 位数字" in html and "韵达单号为" in html
    assert 'name="form-0-is_active"' not in html  # read-only: no list editing
    detail = ops_client.get(reverse("admin:orders_carrier_change", args=[sf.pk]))
    assert detail.status_code == 200 and 'name="tracking_number_pattern"' not in detail.content.decode()
    response = ops_client.post(reverse("admin:orders_carrier_change", args=[sf.pk]), {"name": "改名", "code": "SF"})
    assert response.status_code == 403
    assert carrier("SF").name == "顺丰速运"
