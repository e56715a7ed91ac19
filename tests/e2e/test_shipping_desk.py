"""The clerk's day on the shipping desk, clicked and typed in a real browser."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import InventoryItem, StockMovement
from orders import services
from orders.models import Order
from tests.e2e.support import E2E, OPS_PASSWORD, log_in
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = E2E

ORDER_LIST = "/admin/orders/order/"


def order_row(page, order):
    return page.locator("#result_list tbody tr", has=page.get_by_role("link", name=order.order_no, exact=True))


def error_line_above(page, order):
    """The line the order list puts just above a row whose form has row-level errors."""
    return page.locator(
        f"xpath=//table[@id='result_list']//tr[.//a[text()='{order.order_no}']]/preceding-sibling::tr[1]"
    )


def fill_shipping(row, carrier_name, number):
    row.locator("td.field-carrier select").select_option(label=carrier_name)
    row.locator("td.field-tracking_number input").fill(number)


def ledger_snapshot():
    return list(StockMovement.objects.order_by("pk").values_list("pk", "item_id", "delta"))


def test_copy_button_puts_the_receiver_on_the_clipboard(page, ops_user):
    order = OrderFactory(
        receiver_name="李雨欣", receiver_phone="13912345678", address="浙江省杭州市西湖区文三路88号3栋1202室"
    )
    already_shipped = services.ship_order(OrderFactory(), carrier("ZTO"), "71234567890123", user=ops_user)

    log_in(page, "ops", OPS_PASSWORD, path=ORDER_LIST)

    expect(page).to_have_url(re.compile(r"/admin/orders/order/$"))
    expect(page.locator("#changelist-filter li.selected").first).to_have_text("未发货")
    expect(order_row(page, already_shipped)).to_have_count(0)
    row = order_row(page, order)
    row.get_by_role("button", name="复制").click()
    expect(row.locator(".copy-btn")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == "李雨欣 13912345678 浙江省杭州市西湖区文三路88号3栋1202室"


def test_shipping_a_row_takes_stock_and_links_the_tracking_number(page, ops_user, ledger_is_consistent):
    item = ItemFactory(name="保温杯 500ml", initial_stock=10)
    order = OrderFactory(item=item, quantity=2)
    number = sf_number(20261125)

    log_in(page, "ops", OPS_PASSWORD, path=ORDER_LIST)
    fill_shipping(order_row(page, order), "顺丰速运", number)
    page.get_by_role("button", name="保存").click()

    expect(page.locator(".messagelist .success")).to_have_text("总共 1 个 订单 变更成功。")
    # The shipped order leaves the default 未发货 list; the clerk looks under 已发货.
    expect(order_row(page, order)).to_have_count(0)
    page.locator("#changelist-filter").get_by_role("link", name="已发货", exact=True).click()
    row = order_row(page, order)
    expect(row.locator("td.field-status select option:checked")).to_have_text("已发货")
    expect(row.locator("td.field-status select")).to_have_class(re.compile(r"\bstatus-shipped\b"))
    link = row.get_by_role("link", name=number)
    expect(link).to_have_attribute("href", f"https://www.kuaidi100.com/chaxun?com=shunfeng&nu={number}")

    page.goto("/admin/inventory/inventoryitem/")
    page.get_by_role("link", name=item.sku, exact=True).click()
    expect(page.locator(".field-stock .readonly")).to_have_text("8")
    ledger_row = page.locator(".inline-group tbody tr", has_text=order.order_no)
    expect(ledger_row.locator("td.field-delta")).to_have_text("-2")
    expect(ledger_row.locator("td.field-reason")).to_have_text("发货出库")
    expect(ledger_row.locator("td.field-balance_after")).to_have_text("8")

    order.refresh_from_db()
    assert (order.status, order.carrier.code, order.tracking_number) == (Order.Status.SHIPPED, "SF", number)
    assert order.shipped_by == ops_user
    ship = StockMovement.objects.get(order=order)
    assert (ship.delta, ship.reason, ship.created_by) == (-2, StockMovement.Reason.SHIP, ops_user)
    ledger_is_consistent()


def test_a_wrong_tracking_number_is_refused_next_to_its_row(page, ops_user):
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(item=item)
    ledger_before = ledger_snapshot()

    log_in(page, "ops", OPS_PASSWORD, path=ORDER_LIST)
    fill_shipping(order_row(page, order), "顺丰速运", "SF12345")
    page.get_by_role("button", name="保存").click()

    expect(page.locator(".errornote")).to_have_text("请更正以下错误。")
    error = order_row(page, order).locator("td.field-tracking_number .errorlist")
    expect(error).to_have_text("快递单号“SF12345”不符合顺丰速运的单号格式，请核对后重新输入。")
    expect(page.locator(".messagelist .success")).to_have_count(0)

    order.refresh_from_db()
    assert (order.status, order.carrier_id, order.tracking_number) == (Order.Status.PENDING, None, "")
    assert InventoryItem.objects.get(pk=item.pk).stock == 10
    assert ledger_snapshot() == ledger_before


def test_not_enough_stock_is_refused_next_to_the_row_that_runs_out(page, ops_user):
    item = ItemFactory(sku="SKU-CUP", name="陶瓷马克杯", initial_stock=3)
    now = timezone.now()
    first = OrderFactory(item=item, quantity=2, created_at=now - timedelta(hours=2))
    second = OrderFactory(item=item, quantity=2, created_at=now - timedelta(hours=1))
    ledger_before = ledger_snapshot()

    log_in(page, "ops", OPS_PASSWORD, path=ORDER_LIST)
    fill_shipping(order_row(page, first), "顺丰速运", sf_number(1))
    fill_shipping(order_row(page, second), "顺丰速运", sf_number(2))
    page.get_by_role("button", name="保存").click()

    expect(error_line_above(page, second)).to_have_text(
        f"订单 {second.order_no}：SKU SKU-CUP（陶瓷马克杯）库存不足，需要 2 件，现有 3 件"
        "（本次保存中前面的订单已占用 2 件）。请先补货或调整数量。"
    )
    expect(page.locator("#result_list .errorlist")).to_have_count(1)
    # The clerk's typing is still there to correct.
    expect(order_row(page, first).locator("td.field-tracking_number input")).to_have_value(sf_number(1))

    assert list(Order.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == [
        Order.Status.PENDING,
        Order.Status.PENDING,
    ]
    assert InventoryItem.objects.get(pk=item.pk).stock == 3
    assert ledger_snapshot() == ledger_before
