"""The clerk's day on the shipping desk, clicked and typed in a real browser."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import InventoryItem, StockMovement
from orders import services
from orders.models import Order, Parcel
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
    already_shipped = OrderFactory()
    services.ship_order(already_shipped, carrier("ZTO"), "71234567890123", user=ops_user)

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
    expect(order_row(page, order).locator("td.field-order_lines")).to_contain_text(f"{item.sku} × 2")
    fill_shipping(order_row(page, order), "顺丰速运", number)
    page.get_by_role("button", name="保存").click()

    expect(page.locator(".messagelist .success")).to_have_text(
        f"已发货：订单 {order.order_no}：顺丰速运 {number}，库存扣减 {item.sku} × 2 撤销"
    )
    # The shipped order leaves the default 未发货 list; the clerk looks under 已发货.
    expect(order_row(page, order)).to_have_count(0)
    page.locator("#changelist-filter").get_by_role("link", name="已发货", exact=True).click()
    row = order_row(page, order)
    expect(row.locator("td.field-status_badge .status-badge")).to_have_text("已发货")
    expect(row.locator("td.field-status_badge .status-badge")).to_have_class(re.compile(r"\bstatus-shipped\b"))
    link = row.get_by_role("link", name=number)
    expect(link).to_have_attribute("href", f"https://www.kuaidi100.com/chaxun?com=shunfeng&nu={number}")

    page.goto("/admin/inventory/inventoryitem/")
    page.get_by_role("link", name=item.sku, exact=True).click()
    expect(page.locator(".field-stock .readonly")).to_have_text("8")

    order.refresh_from_db()
    parcel = Parcel.objects.get()
    assert (order.status, parcel.carrier.code, parcel.tracking_number) == (Order.Status.SHIPPED, "SF", number)
    assert parcel.shipped_by == ops_user
    ship = StockMovement.objects.get(order=order)
    assert (ship.delta, ship.reason, ship.created_by, ship.parcel) == (-2, StockMovement.Reason.SHIP, ops_user, parcel)
    ledger_is_consistent()


def test_a_wrong_tracking_number_is_refused_next_to_its_row(page, ops_user):
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(item=item)
    ledger_before = ledger_snapshot()

    log_in(page, "ops", OPS_PASSWORD, path=ORDER_LIST)
    fill_shipping(order_row(page, order), "顺丰速运", "SF12345")
    page.get_by_role("button", name="保存").click()

    expect(page.locator(".errornote")).to_have_text("请更正以下错误。")
    expect(error_line_above(page, order)).to_have_text(
        "快递单号“SF12345”不符合顺丰速运的单号格式。顺丰单号为 SF 加 12–13 位数字（旧单号为 12 位数字）。"
        "请核对后重新输入。"
    )
    expect(page.locator(".messagelist .success")).to_have_count(0)
    # The clerk's typing is still there to correct.
    expect(order_row(page, order).locator("td.field-tracking_number input")).to_have_value("SF12345")

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and not Parcel.objects.exists()
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

    # The wording is the services' (shortage_message); the row and both figures are what matter here.
    shortage = error_line_above(page, second)
    expect(shortage).to_contain_text("SKU SKU-CUP（陶瓷马克杯）库存不足：需要 4 件，现有 3 件")
    expect(shortage).to_contain_text("本批前面的包裹已占用 2 件")
    expect(page.locator("#result_list .errorlist")).to_have_count(1)
    expect(order_row(page, first).locator("td.field-tracking_number input")).to_have_value(sf_number(1))

    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.PENDING}
    assert InventoryItem.objects.get(pk=item.pk).stock == 3
    assert ledger_snapshot() == ledger_before


def test_ship_two_of_three_lines_from_the_order_page_then_the_third(page, ops_user, ledger_is_consistent):
    items = [ItemFactory(sku=f"SKU-L{n}", name=f"商品{n}", initial_stock=10) for n in range(3)]
    order = OrderFactory(lines=[(items[0], 1), (items[1], 2), (items[2], 1)])
    third = order.lines.order_by("pk").last()

    log_in(page, "ops", OPS_PASSWORD, path=f"/admin/orders/order/{order.pk}/change/")
    page.get_by_role("link", name="发部分商品").click()
    page.locator(f"input[name=line_{third.pk}]").fill("0")
    page.get_by_label("快递单号").fill(sf_number(11))
    page.get_by_role("button", name="发出这个包裹").click()

    expect(page.locator(".messagelist .success")).to_have_text(
        f"已发出包裹 顺丰速运 {sf_number(11)}：库存已扣减 SKU-L0 × 1、SKU-L1 × 2。"
    )
    expect(page.locator("#parcels")).to_contain_text("SKU-L0 × 1、SKU-L1 × 2")
    expect(page.locator(".field-status_badge .status-badge")).to_have_text("部分发货")
    assert Order.objects.get(pk=order.pk).status == Order.Status.PARTIAL

    page.get_by_role("link", name="发部分商品").click()
    expect(page.locator(f"input[name=line_{third.pk}]")).to_have_value("1")  # only what is left
    page.get_by_label("快递单号").fill(sf_number(12))
    page.get_by_role("button", name="发出这个包裹").click()

    expect(page.locator(".field-status_badge .status-badge")).to_have_text("已发货")
    expect(page.locator("#parcels tbody tr")).to_have_count(2)
    assert [InventoryItem.objects.get(pk=i.pk).stock for i in items] == [9, 8, 9]
    ledger_is_consistent()


def test_void_a_parcel_from_the_order_page(page, ops_user, ledger_is_consistent):
    item = ItemFactory(sku="SKU-V", initial_stock=5)
    order = OrderFactory(item=item, quantity=2)
    services.ship_order(order, carrier("SF"), sf_number(13), user=ops_user)

    log_in(page, "ops", OPS_PASSWORD, path=f"/admin/orders/order/{order.pk}/change/")
    page.get_by_role("link", name="撤销此包裹").click()
    expect(page.locator("#content-main")).to_contain_text("退回库存：SKU-V × 2")
    assert InventoryItem.objects.get(pk=item.pk).stock == 3  # nothing happened yet
    page.get_by_role("button", name="确定撤销").click()

    expect(page.locator(".messagelist .success")).to_have_text(
        f"已撤销包裹 顺丰速运 {sf_number(13)}，库存已退回：SKU-V × 2。"
        f"订单 {order.order_no} 已改回“待发货”，现在在“未发货”里，可重新填写快递单号发货。"
    )
    expect(page.locator("#parcels tr.parcel-voided")).to_contain_text("已撤销")
    expect(page.get_by_role("link", name="撤销此包裹")).to_have_count(0)
    assert InventoryItem.objects.get(pk=item.pk).stock == 5
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING
    ledger_is_consistent()
