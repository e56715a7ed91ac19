"""退货入库 on the scan desk (issue 19): scan the return's number, count 良品/次品, confirm."""

import pytest
from django.urls import reverse

from inventory.models import InventoryItem, StockMovement
from orders import after_sales, services
from orders.models import AfterSaleCase
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db

SCAN = reverse("admin:orders_order_scan")
RETURN_NO = "YT9876543210"


@pytest.fixture
def returning(admin_user):
    """A shipped order of 3 with a 退货退款 case on its way back as RETURN_NO, and an order on the desk."""
    item = ItemFactory(sku="RET-CUP", initial_stock=10)
    order = OrderFactory(order_no="RET-1", item=item, quantity=3)
    services.ship_order(order, carrier("SF"), sf_number(1))
    case = after_sales.create_case(
        order, AfterSaleCase.Kind.RETURN_REFUND, [(order.lines.get(), 3)], return_tracking_number=RETURN_NO
    )
    waiting = OrderFactory(order_no="DESK-1")
    return item, case, waiting


def counts(case, current, good, damaged):
    """The desk's 确认入库 form for the case's one line, as typed."""
    line_pk = case.lines.get().pk
    return {
        "receive": "1",
        "case": case.pk,
        "current": current.pk,
        f"good_{line_pk}": good,
        f"damaged_{line_pk}": damaged,
    }


def test_scanning_a_return_number_shows_its_lines_to_count_and_ships_nothing(admin_client, returning):
    _item, case, waiting = returning

    page = admin_client.post(SCAN, {"code": RETURN_NO.lower(), "current": waiting.pk})

    text = page.content.decode()
    assert page.status_code == 200
    assert f"退货：{case}（订单 RET-1，退货退款）" in text
    assert 'id="scan-receive"' in text and f'name="good_{case.lines.get().pk}" value="3"' in text
    assert page.context["current"] == waiting  # the order on the desk stays
    assert not waiting.lines.get().parcel_lines.exists()


def test_confirming_the_counts_puts_only_good_pieces_back(admin_client, returning):
    item, case, waiting = returning

    page = admin_client.post(SCAN, counts(case, waiting, "2", "1"), follow=True)

    assert "良品 2 件已回库存，次品 1 件已登记（不回库存）" in page.content.decode()
    assert InventoryItem.objects.get(pk=item.pk).stock == 9
    assert StockMovement.objects.get(reason=StockMovement.Reason.RETURN).delta == 2
    assert page.context["current"] == waiting


def test_a_count_that_is_not_a_number_is_named_and_the_form_stays(admin_client, returning):
    item, case, waiting = returning

    page = admin_client.post(SCAN, counts(case, waiting, "两", "9"))

    text = page.content.decode()
    assert page.status_code == 422
    assert "未入库：SKU RET-CUP 的良品数量“两”不是整数，请重新填写。" in text
    assert 'id="scan-receive"' in text and 'value="两"' in text
    assert InventoryItem.objects.get(pk=item.pk).stock == 7
    assert AfterSaleCase.objects.get(pk=case.pk).status == AfterSaleCase.Status.RETURNING


def test_a_return_number_already_received_is_neither_received_again_nor_shipped_with(admin_client, returning):
    item, case, waiting = returning
    admin_client.post(SCAN, counts(case, waiting, "3", "0"))

    page = admin_client.post(SCAN, {"code": RETURN_NO, "current": waiting.pk})

    assert page.status_code == 422
    expected = f"“{RETURN_NO}”是{case}（订单 RET-1）的退货单号，该售后单已收货，不能再收货，也不能用作发货单号。"
    assert expected in page.content.decode()
    assert InventoryItem.objects.get(pk=item.pk).stock == 10
    assert not waiting.lines.get().parcel_lines.exists()


def test_a_refund_opened_while_the_order_is_on_the_desk_stops_its_shipment_there(admin_client):
    order = OrderFactory(order_no="DESK-REFUND")
    page = admin_client.get(SCAN, {"order": "DESK-REFUND"})
    assert page.context["current"] == order
    after_sales.create_case(order, AfterSaleCase.Kind.REFUND_ONLY, [(order.lines.get(), 1)], reason="拍错了")

    page = admin_client.post(SCAN, {"code": sf_number(7), "current": order.pk})

    assert page.status_code == 422
    assert "未发货：订单 DESK-REFUND 已挂起（退款中：售后单" in page.content.decode()
    assert not order.lines.get().parcel_lines.exists()
    assert admin_client.get(SCAN).context["current"] is None  # the queue's next order is not it
