"""Orders pushed in and read back through /api/v1/orders/: idempotent, validated in Chinese, the admin's rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import ApiCall
from inventory.models import StockMovement
from orders import services
from orders.models import Order, OrderHold, ReceiverReveal
from tests.api.conftest import order_body
from tests.factories import carrier, sf_number

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def test_a_pushed_order_lands_in_the_clerks_queue_with_its_lines(api, shop, items):
    response = api.post(ORDERS, order_body(buyer_message="请用纸箱"), format="json")

    assert response.status_code == 201, response.json()
    order = Order.objects.get(order_no="WEB-0001")
    assert (order.shop, order.status, order.note, order.customer_id) == (shop, "pending", "请用纸箱", "buyer-9")
    assert [(line.item.sku, line.quantity, line.sub_order_no) for line in order.lines.all()] == [("TEE-RED-M", 2, "S1")]
    assert order.ship_by == shop.ship_by_for(order.created_at)  # the shop's default deadline, as in the admin
    data = response.json()
    assert (data["order_no"], data["status_display"], data["shop"]) == ("WEB-0001", "待发货", "自营商城")
    assert data["lines"] == [
        {"sku": "TEE-RED-M", "name": "红色T恤 M", "quantity": 2, "sub_order_no": "S1", "shipped_quantity": 0}
    ]


def test_the_same_order_twice_makes_one_order_and_answers_the_same(api, items):
    first = api.post(ORDERS, order_body(), format="json")
    again = api.post(ORDERS, order_body(), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Order.objects.filter(order_no="WEB-0001").count() == 1


def test_the_same_number_with_other_lines_is_refused_and_the_order_kept(api, items):
    api.post(ORDERS, order_body(), format="json")
    changed = api.post(ORDERS, order_body(lines=[{"sku": "MUG-01", "quantity": 1}]), format="json")

    assert changed.status_code == 409
    assert changed.json()["errors"] == [
        {
            "code": "order_exists",
            "message": "订单 WEB-0001 已存在，且收货信息或商品与本次请求不同；已有订单不会被覆盖。",
            "field": "order_no",
        }
    ]
    assert [line.item.sku for line in Order.objects.get(order_no="WEB-0001").lines.all()] == ["TEE-RED-M"]


def test_an_idempotency_key_returns_its_order_and_refuses_another_body(api, items):
    headers = {"HTTP_IDEMPOTENCY_KEY": "push-42"}
    first = api.post(ORDERS, order_body(), format="json", **headers)
    replay = api.post(ORDERS, order_body(), format="json", **headers)
    other = api.post(ORDERS, order_body("WEB-0002"), format="json", **headers)

    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == first.json()
    assert other.status_code == 422
    [problem] = other.json()["errors"]
    assert problem["code"] == "idempotency_key_reused"
    assert "push-42" in problem["message"] and "WEB-0001" in problem["message"]
    assert not Order.objects.filter(order_no="WEB-0002").exists()


def test_validation_errors_are_structured_chinese_and_name_their_field(api, items):
    body = order_body(receiver={"name": "", "phone": "13800138000"}, lines=[{"sku": "TEE-RED-M", "quantity": 0}])
    response = api.post(ORDERS, body, format="json")

    assert response.status_code == 400
    errors = {(e["field"], e["code"]): e["message"] for e in response.json()["errors"]}
    assert errors == {
        ("receiver.name", "blank"): "该字段不能为空。",
        ("receiver.address", "required"): "该字段是必填项。",
        ("lines[0].quantity", "min_value"): "请确保该值大于或者等于 1。",
    }
    assert not Order.objects.exists()


def test_an_unknown_sku_is_named_with_the_imports_wording(api, items):
    body = order_body(lines=[{"sku": "TEE-RED-M", "quantity": 1}, {"sku": "NOPE-9", "quantity": 1}])
    response = api.post(ORDERS, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "unknown_sku", "message": "SKU NOPE-9 不存在，请先在库存商品中添加。", "field": "lines[1].sku"}
    ]
    assert not Order.objects.exists()


def test_a_body_that_is_not_json_gets_a_chinese_error(api):
    response = api.generic("POST", ORDERS, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "请求内容不是有效的 JSON。"


def test_the_shops_hold_rules_apply_to_pushed_orders(api, items):
    from orders.models import HoldRules

    HoldRules.objects.create(pk=1, hold_buyer_message=True)
    api.post(ORDERS, order_body(buyer_message="周末别送"), format="json")

    hold = OrderHold.objects.get(order__order_no="WEB-0001")
    assert (hold.reason, hold.note) == (OrderHold.Reason.BUYER_MESSAGE, "周末别送")


def test_cancel_goes_through_the_admins_service_and_its_refusal(api, items):
    api.post(ORDERS, order_body(), format="json")
    api.post(ORDERS, order_body("WEB-0002"), format="json")
    services.ship_order(Order.objects.get(order_no="WEB-0002"), carrier("SF"), sf_number(7))

    cancelled = api.post(f"{ORDERS}WEB-0001/cancel/")
    refused = api.post(f"{ORDERS}WEB-0002/cancel/")

    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert refused.status_code == 409
    assert refused.json()["errors"] == [
        {
            "code": "refused",
            "message": f"订单 WEB-0002 还有未撤销的包裹（{sf_number(7)}），请先撤销这些包裹，再取消订单。",
            "field": None,
        }
    ]
    assert Order.objects.get(order_no="WEB-0002").status == "shipped"


def test_parcels_show_carrier_number_tracking_url_and_lines(api, items):
    api.post(ORDERS, order_body(), format="json")
    parcel = services.ship_order(Order.objects.get(order_no="WEB-0001"), carrier("SF"), sf_number(3))

    [data] = api.get(f"{ORDERS}WEB-0001/parcels/").json()

    assert data["carrier"] == "顺丰速运" and data["tracking_number"] == sf_number(3)
    assert data["tracking_url"] == parcel.tracking_url and data["tracking_url"].startswith("https://")
    assert (data["status"], data["lines"]) == ("shipped", [{"sku": "TEE-RED-M", "quantity": 2, "sub_order_no": "S1"}])
    assert api.get(f"{ORDERS}WEB-0001/").json()["lines"][0]["shipped_quantity"] == 2
    assert StockMovement.objects.filter(order__order_no="WEB-0001", reason="ship").count() == 1


def test_a_parcel_waiting_to_ship_is_listed_but_ships_nothing_yet(api, items):
    api.post(ORDERS, order_body(), format="json")
    order = Order.objects.get(order_no="WEB-0001")
    (parcel,) = services.prepare_orders([(order, carrier("SF"), sf_number(4))])

    [data] = api.get(f"{ORDERS}WEB-0001/parcels/").json()
    read = api.get(f"{ORDERS}WEB-0001/").json()
    assert (data["status"], read["status"], read["lines"][0]["shipped_quantity"]) == ("numbered", "pending", 0)
    services.hand_over_parcels([parcel])
    assert api.get(f"{ORDERS}WEB-0001/").json()["lines"][0]["shipped_quantity"] == 2


def test_an_order_of_another_shop_is_not_found(make_client, items):
    from tests.factories import ShopFactory

    _mine, api = make_client()
    _theirs, other = make_client(client_shop=ShopFactory(name="别家店"))
    other.post(ORDERS, order_body(), format="json")

    response = api.get(f"{ORDERS}WEB-0001/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_the_list_filters_by_status_and_updated_since_and_pages_by_cursor(api, items):
    for n in range(5):
        api.post(ORDERS, order_body(f"WEB-{n:04d}"), format="json")
    services.ship_order(Order.objects.get(order_no="WEB-0003"), carrier("SF"), sf_number(9))
    shipped_at = Order.objects.get(order_no="WEB-0003").updated_at

    first = api.get(ORDERS, {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    assert [o["order_no"] for o in first["results"] + second["results"]] == [
        "WEB-0000",
        "WEB-0001",
        "WEB-0002",
        "WEB-0004",
    ]
    assert [o["order_no"] for o in api.get(ORDERS, {"status": "shipped"}).json()["results"]] == ["WEB-0003"]
    since = api.get(ORDERS, {"updated_since": shipped_at.isoformat()}).json()["results"]
    assert [o["order_no"] for o in since] == ["WEB-0003"]
    bad = api.get(ORDERS, {"status": "lost"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "status"


def test_queries_per_list_page_do_not_grow_with_its_rows(api, items):
    def queries_for(count):
        for n in range(count):
            api.post(ORDERS, order_body(f"Q-{count}-{n}"), format="json")
        for order in Order.objects.filter(order_no__startswith=f"Q-{count}-")[:2]:
            services.ship_order(order, carrier("SF"), sf_number(100 * count + order.pk))
        with CaptureQueriesContext(connection) as captured:
            assert len(api.get(ORDERS, {"page_size": count}).json()["results"]) == count
        return len(captured)

    assert queries_for(3) == queries_for(12)


def test_receivers_are_masked_without_receiver_read_and_reads_recorded_with_it(make_client, items):
    from api.models import Scope

    _writer, writer = make_client()
    writer.post(ORDERS, order_body(), format="json")
    masked = writer.get(f"{ORDERS}WEB-0001/").json()["receiver"]
    _reader, reader = make_client(scopes=[Scope.ORDERS_READ, Scope.RECEIVER_READ], name="客服系统")
    full = reader.get(f"{ORDERS}WEB-0001/").json()["receiver"]

    assert (masked["phone"], masked["address"], masked["masked"]) == ("138****8000", "上海市浦东新区****", True)
    assert (full["phone"], full["address"], full["masked"]) == ("13800138000", "上海市浦东新区张杨路 100 号", False)
    [reveal] = ReceiverReveal.objects.all()
    assert (reveal.order_no, reveal.how, reveal.detail) == ("WEB-0001", "api", "API 客户端 客服系统")


def test_every_call_is_recorded_with_its_client(make_client, items):
    client, api = make_client()
    api.post(ORDERS, order_body(), format="json")
    api.get(f"{ORDERS}NOPE/")

    calls = list(ApiCall.objects.order_by("pk").values_list("client", "method", "path", "status_code"))
    assert calls == [(client.pk, "POST", ORDERS, 201), (client.pk, "GET", f"{ORDERS}NOPE/", 404)]


def test_an_unknown_sku_is_named_together_with_the_other_fields_problems(api, items):
    body = order_body(receiver={"name": "张三"}, lines=[{"sku": "NOPE-1", "quantity": 1}])
    response = api.post(ORDERS, body, format="json")

    fields = [(e["field"], e["code"]) for e in response.json()["errors"]]
    assert fields == [
        ("receiver.phone", "required"),
        ("receiver.address", "required"),
        ("lines[0].sku", "unknown_sku"),
    ]
