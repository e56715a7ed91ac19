"""The order list's save flow in a real browser (issue 16: 1 Enter, 5 what happened, 6 confirmations,
7 undo and re-ship, 8 the save bar and the banner, 13 the layout at 1280 and 1366 px)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import InventoryItem
from orders import services
from orders.admin.parcel_views import CANCEL_NOTE, COURIER_NOTE
from orders.models import Order, Parcel
from tests.e2e.support import E2E, OPS_PASSWORD, log_in, save_screenshot
from tests.e2e.test_shipping_desk import ORDER_LIST, error_line_above, fill_shipping, order_row
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = E2E

SUCCESS = ".messagelist .success"


def number_input(page, order):
    return order_row(page, order).locator("td.field-tracking_number input")


def stock(item):
    return InventoryItem.objects.get(pk=item.pk).stock


def refuse_dialogs(page):
    """Every confirm()/alert() the page opens, dismissed: the save flow must not need any."""
    seen = []

    def dismiss(dialog):
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return seen


def no_sideways_scroll(page):
    """Neither the page nor the list's own box (Django's .results scrolls by itself) scrolls sideways."""
    return page.evaluate(
        """() => {
          const root = document.documentElement, box = document.querySelector('#changelist .results');
          return root.scrollWidth <= root.clientWidth && (!box || box.scrollWidth <= box.clientWidth);
        }"""
    )


def in_view(page, locator):
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_enter_in_a_number_field_saves_the_row_and_never_runs_an_action(page, ops_user):
    item = ItemFactory(sku="SKU-ENTER", initial_stock=5)
    order = OrderFactory(item=item, quantity=1)
    other = OrderFactory(item=item, quantity=1, created_at=timezone.now() + timedelta(minutes=1))
    dialogs = refuse_dialogs(page)
    number = sf_number(1601)

    log_in(page, "ops", OPS_PASSWORD, path=ORDER_LIST)
    # A clerk who picked an action earlier, then scans: the scanner types the number and Enter.
    page.locator("select[name=action]").select_option("void_parcels")
    number_input(page, order).click()
    page.keyboard.type(number)
    expect(page.locator(".save-bar .unsaved-count")).to_have_text("1 行已填写，尚未保存")
    page.keyboard.press("Enter")

    expect(page.locator(SUCCESS)).to_contain_text(
        f"已发货：订单 {order.order_no}：顺丰速运（按单号识别，请核对） {number}，库存扣减 SKU-ENTER × 1"
    )
    assert dialogs == []
    parcel = Parcel.objects.get()
    assert (parcel.tracking_number, parcel.carrier.code) == (number, "SF")
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    assert Order.objects.get(pk=other.pk).status == Order.Status.PENDING
    expect(page.locator(".save-bar .unsaved-count")).to_have_text("")


def test_the_save_says_what_shipped_links_its_undo_and_the_number_ships_again(page, ops_user, ledger_is_consistent):
    item = ItemFactory(sku="SKU-MUG", name="陶瓷马克杯", initial_stock=5)
    order = OrderFactory(item=item, quantity=2)
    number = sf_number(1602)

    log_in(page, "ops", OPS_PASSWORD, path=ORDER_LIST)
    fill_shipping(order_row(page, order), "顺丰速运", number)
    page.locator(".save-bar").get_by_role("button", name="保存").click()

    message = page.locator(SUCCESS)
    expect(message).to_have_text(f"已发货：订单 {order.order_no}：顺丰速运 {number}，库存扣减 SKU-MUG × 2 撤销")
    expect(message.get_by_role("link", name=order.order_no)).to_have_attribute(
        "href", f"/admin/orders/order/{order.pk}/change/"
    )
    save_screenshot(page, "order_list_saved")
    assert stock(item) == 3

    message.get_by_role("link", name="撤销").click()
    content = page.locator("#content-main")
    expect(content).to_contain_text("退回库存：SKU-MUG × 2")
    expect(content).to_contain_text(COURIER_NOTE)
    assert stock(item) == 3  # asked, not done
    page.get_by_role("button", name="确定撤销").click()

    expect(page.locator(SUCCESS)).to_contain_text(f"订单 {order.order_no} 已改回“待发货”")
    assert stock(item) == 5
    page.locator(SUCCESS).get_by_role("link", name="“未发货”").click()
    expect(order_row(page, order)).to_have_count(1)

    # The same number again: a new parcel (the voided one keeps its history).
    number_input(page, order).fill(number)
    number_input(page, order).press("Enter")
    expect(page.locator(SUCCESS)).to_contain_text(
        f"已发货：订单 {order.order_no}：顺丰速运（按单号识别，请核对） {number}"
    )
    assert list(Parcel.objects.order_by("pk").values_list("tracking_number", "status")) == [
        (number, Parcel.Status.VOIDED),
        (number, Parcel.Status.SHIPPED),
    ]
    assert stock(item) == 3
    ledger_is_consistent()


def test_undo_inside_the_shipped_filter_confirms_and_says_where_the_order_went(page, ops_user, ledger_is_consistent):
    item = ItemFactory(sku="SKU-BACK", initial_stock=5)
    order = OrderFactory(item=item, quantity=1)
    services.ship_order(order, carrier("SF"), sf_number(1603), user=ops_user)

    log_in(page, "ops", OPS_PASSWORD, path=f"{ORDER_LIST}?ship_status=shipped")
    order_row(page, order).locator("input.action-select").check()
    page.locator("select[name=action]").select_option("void_parcels")
    page.get_by_role("button", name="执行").click()

    content = page.locator("#content-main")
    expect(content).to_contain_text(f"包裹 顺丰速运 {sf_number(1603)}：退回库存 SKU-BACK × 1")
    expect(content).to_contain_text(COURIER_NOTE)
    assert stock(item) == 4 and Parcel.objects.get().is_live  # nothing yet
    page.get_by_role("button", name="确定撤销发货").click()

    expect(page).to_have_url(re.compile(r"ship_status=shipped"))
    expect(page.locator(SUCCESS)).to_contain_text(f"订单 {order.order_no} 已改回“待发货”，现在在“未发货”里")
    # Not a bare "0 条结果": the empty view says which one it is.
    expect(page.locator(".empty-list")).to_have_text("“已发货”里没有订单。查看全部订单")
    save_screenshot(page, "order_list_undone_in_shipped")
    page.locator(SUCCESS).get_by_role("link", name="“未发货”").click()
    expect(order_row(page, order).locator(".status-badge")).to_have_text("待发货")
    assert stock(item) == 5
    ledger_is_consistent()


def test_cancel_asks_first_and_says_what_happens_to_stock_and_parcels(page, ops_user):
    order = OrderFactory()
    shipped = OrderFactory(created_at=timezone.now() + timedelta(minutes=1))
    services.ship_order(shipped, carrier("SF"), sf_number(1604), user=ops_user)

    log_in(page, "ops", OPS_PASSWORD, path=f"{ORDER_LIST}?ship_status=all")
    for each in (order, shipped):
        order_row(page, each).locator("input.action-select").check()
    page.locator("select[name=action]").select_option("cancel_orders")
    page.get_by_role("button", name="执行").click()

    content = page.locator("#content-main")
    expect(content).to_contain_text(CANCEL_NOTE)
    expect(content).to_contain_text(f"还有未撤销的包裹：顺丰速运 {sf_number(1604)}。请先撤销发货，否则不会取消。")
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING  # nothing yet
    page.get_by_role("button", name="确定取消订单").click()

    expect(page.locator(SUCCESS)).to_have_text(f"已取消订单 {order.order_no}，库存不变。")
    expect(page.locator(".messagelist .error")).to_contain_text(f"未取消：订单 {shipped.order_no} 还有未撤销的包裹")
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    assert Order.objects.get(pk=shipped.pk).status == Order.Status.SHIPPED


def test_a_50_row_page_keeps_the_save_bar_in_view_and_the_banner_names_the_failed_rows(page, ops_user):
    item = ItemFactory(initial_stock=500)
    start = timezone.now() - timedelta(days=1)
    orders = [OrderFactory(item=item, created_at=start + timedelta(minutes=n)) for n in range(50)]
    good, bad, worse = orders[2], orders[10], orders[30]

    log_in(page, "ops", OPS_PASSWORD, path=ORDER_LIST)
    bar = page.locator(".save-bar")
    assert in_view(page, bar)
    fill_shipping(order_row(page, good), "顺丰速运", sf_number(1605))
    fill_shipping(order_row(page, bad), "顺丰速运", "SF12")
    fill_shipping(order_row(page, worse), "顺丰速运", "SF34")  # filling scrolls the row into view
    assert in_view(page, bar) and page.evaluate("window.scrollY") > 500
    # The field being typed in is not hidden under the bar.
    assert number_input(page, worse).bounding_box()["y"] + 30 <= bar.bounding_box()["y"]
    expect(bar.locator(".unsaved-count")).to_have_text("3 行已填写，尚未保存")
    save_screenshot(page, "order_list_save_bar")
    bar.get_by_role("button", name="保存").click()

    banner = page.locator(".errorlist.nonform")
    expect(banner).to_contain_text(f"未保存：2 个订单有问题：{bad.order_no}、{worse.order_no}（原因见各行）")
    expect(banner).not_to_contain_text(good.order_no)
    for order, number in ((bad, "SF12"), (worse, "SF34")):
        expect(error_line_above(page, order)).to_have_text(
            f"快递单号“{number}”不符合顺丰速运的单号格式。"
            "顺丰单号为 SF 加 12–13 位数字（旧单号为 12 位数字）。请核对后重新输入。"
        )
        expect(order_row(page, order)).to_have_class(re.compile(r"\brow-failed\b"))
        expect(number_input(page, order)).to_have_value(number)
    expect(number_input(page, good)).to_have_value(sf_number(1605))  # all or nothing, nothing lost
    expect(bar.locator(".unsaved-count")).to_have_text("3 行已填写，尚未保存")
    save_screenshot(page, "order_list_errors")
    banner.get_by_role("link", name=worse.order_no).click()
    expect(error_line_above(page, worse)).to_be_in_viewport()
    expect(order_row(page, worse)).to_be_in_viewport()
    assert not Parcel.objects.exists()


@pytest.mark.parametrize("courier_api", [False, True], ids=["plain", "with-kuaidi100"])
def test_the_order_list_fits_1280_and_1366_and_shows_a_whole_tracking_number(page, ops_user, settings, courier_api):
    if courier_api:  # adds the 物流状态 column
        settings.KUAIDI100 = {"KEY": "k", "SECRET": "s", "CUSTOMER": "c", "BASE_URL": "http://127.0.0.1:9"}
    items = [ItemFactory(sku=f"SKU-{n:03d}", name=f"商品名称很长的测试商品{n}", initial_stock=50) for n in range(4)]
    now = timezone.now()
    multi = OrderFactory(lines=[(item, 2) for item in items], created_at=now - timedelta(hours=3))
    partial = OrderFactory(lines=[(items[0], 1), (items[1], 1)], created_at=now - timedelta(hours=2))
    services.ship_parcel([(partial.lines.first(), 1)], carrier("YTO"), "YT6900634716900", user=ops_user)
    OrderFactory(address="内蒙古自治区呼和浩特市赛罕区大学东街 235 号内蒙古师范大学家属院", created_at=now)
    services.ship_order(OrderFactory(), carrier("JTSD"), "JT0006968326954", user=ops_user)
    long_number = "JT00069683269541"  # 16 characters

    log_in(page, "ops", OPS_PASSWORD, path=ORDER_LIST)
    for width, height in ((1280, 720), (1366, 768)):
        page.set_viewport_size({"width": width, "height": height})
        for view in ("unshipped", "shipped", "all"):
            page.goto(f"{ORDER_LIST}?ship_status={view}")
            expect(page.locator("#result_list tbody tr").first).to_be_visible()
            assert no_sideways_scroll(page), (width, view)
        page.goto(ORDER_LIST)
        field = number_input(page, multi)
        field.fill(long_number)
        assert field.evaluate("input => input.scrollWidth <= input.clientWidth"), width
        assert no_sideways_scroll(page), width
        save_screenshot(page, f"order_list_{width}{'_kuaidi100' if courier_api else ''}")
