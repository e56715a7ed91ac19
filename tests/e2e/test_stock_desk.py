"""缺货 on the order list and the scan desk, and the desk on a phone (issue 16.2 and 16.13), in Chromium."""

import re
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import InventoryItem
from orders import demo
from orders.models import Order, Parcel
from tests.e2e.support import E2E, OPS_PASSWORD, log_in, save_screenshot
from tests.factories import ItemFactory, OrderFactory, sf_number

pytestmark = E2E

ORDER_LIST = "/admin/orders/order/"
SCAN = "/admin/orders/order/scan/"


def no_sideways_scroll(page):
    page.wait_for_load_state("networkidle")  # the pictures are in, the layout is final
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def wider_than_the_window(page):
    """The elements sticking out on the right (the failure message of a sideways-scroll check)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .slice(0, 8)
            .map(e => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""
    )


def pictured(sku, name, stock, index):
    item = ItemFactory(sku=sku, name=name, initial_stock=stock)
    item.image.save(f"{sku}.png", ContentFile(demo.product_picture(name, index, 6)), save=True)
    return item


def queue():
    """Oldest first: one order that ships, one short of SKU-004 with a cup in stock, one that ships."""
    now = timezone.now()
    cup = pictured("SKU-001", "保温杯 500ml", 20, 0)
    lamp = pictured("SKU-004", "LED 护眼台灯 可调光 三档色温", 1, 3)
    mug = pictured("SKU-002", "陶瓷马克杯", 20, 1)
    receiver = {"receiver_name": "陈思远", "address": "上海市浦东新区世纪大道 88 号 3 栋 1202 室"}
    first = OrderFactory(order_no="TB2026112000001", lines=[(cup, 1)], created_at=now - timedelta(hours=30))
    short = OrderFactory(
        order_no="TB2026112000002",
        lines=[(lamp, 3), (mug, 2)],
        created_at=now - timedelta(hours=20),
        **receiver,
    )
    last = OrderFactory(order_no="TB2026112000003", lines=[(mug, 1)], created_at=now - timedelta(hours=10))
    return first, short, last, lamp, mug


def scan(page, code):
    field = page.locator("#scan-input")
    field.fill(code)
    field.press("Enter")


def test_the_list_marks_short_orders_and_filters_them_at_1366_and_1280(page, ops_user):
    _first, short, _last, *_ = queue()
    log_in(page, "ops", OPS_PASSWORD, path=ORDER_LIST)
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(ORDER_LIST)
        row = page.locator("#result_list tbody tr", has=page.get_by_role("link", name=short.order_no, exact=True))
        badge = row.locator(".badge-short")
        expect(badge).to_have_text("缺货：SKU-004 差 2")
        expect(badge).to_have_attribute("title", re.compile("按当前库存逐单判断"))
        expect(page.locator(".badge-short")).to_have_count(1)
        assert no_sideways_scroll(page), width
        save_screenshot(page, f"stock_list_{width}")

    page.locator("#changelist-filter").get_by_role("link", name="缺货", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name=short.order_no, exact=True)).to_be_visible()
    page.locator("#changelist-filter").get_by_role("link", name="有货", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.get_by_role("link", name=short.order_no, exact=True)).to_have_count(0)

    # The order page says what is short and offers 发有货的商品, the short line at 0.
    page.goto(f"/admin/orders/order/{short.pk}/change/")
    expect(page.locator("#parcels .badge-short")).to_have_text("缺货：SKU-004 差 2")
    page.locator("#parcels").evaluate("fieldset => fieldset.scrollIntoView()")
    page.evaluate("window.scrollBy(0, -300)")
    assert no_sideways_scroll(page)
    save_screenshot(page, "stock_order_page")
    page.get_by_role("link", name="发有货的商品").click()
    expect(page.locator(".ship-part-lines tr", has_text="SKU-004").locator("input")).to_have_value("0")
    expect(page.locator(".ship-part-lines tr", has_text="SKU-002").locator("input")).to_have_value("2")
    page.get_by_label("快递单号").fill(sf_number(7))
    page.get_by_role("button", name="发出这个包裹").click()
    expect(page.locator(".messagelist .success")).to_contain_text("库存已扣减 SKU-002 × 2")
    assert Order.objects.get(pk=short.pk).status == "partial"


def test_the_desk_passes_short_orders_by_skips_on_ctrl_right_and_ships_what_is_in_stock(page, ops_user):
    first, short, last, lamp, _mug = queue()
    log_in(page, "ops", OPS_PASSWORD, path=SCAN)
    card = page.locator("#scan-order")
    expect(card).to_have_attribute("data-order-no", first.order_no)
    expect(page.locator("#waiting-count")).to_have_text("1 单等待补货")

    scan(page, sf_number(1))
    expect(page.locator("#scan-status")).to_contain_text(f"已发货：订单 {first.order_no}")
    # The short order waits: the desk goes on to the last one.
    expect(card).to_have_attribute("data-order-no", last.order_no)

    page.keyboard.press("Control+ArrowRight")
    expect(page.locator("#scan-status")).to_contain_text(f"已跳过订单 {last.order_no}")
    expect(page.locator(".scan-empty")).to_contain_text("还有 1 单等待补货")
    expect(page.locator("#scan-unskip")).to_contain_text("已跳过 1 单")
    page.set_viewport_size({"width": 1366, "height": 768})
    save_screenshot(page, "scan_skipped")

    scan(page, short.order_no)  # the clerk calls the short order up by its number
    expect(card).to_have_attribute("data-order-no", short.order_no)
    expect(page.locator("#scan-short")).to_contain_text("缺货：SKU-004 差 2")
    expect(page.locator("#scan-lines")).to_contain_text("缺 2")
    scan(page, sf_number(2))  # the whole order cannot go
    expect(page.locator("#scan-status")).to_contain_text("库存不足")
    expect(page.locator("#scan-status")).to_contain_text("先发 SKU-002 × 2")
    assert not Parcel.objects.filter(tracking_number=sf_number(2)).exists()
    save_screenshot(page, "scan_short")

    page.get_by_label(re.compile("发有货的商品")).check()
    expect(page.locator("#scan-input")).to_be_focused()
    scan(page, sf_number(2))
    expect(page.locator("#scan-status")).to_contain_text(f"已发货：订单 {short.order_no}")
    parcel = Parcel.objects.get(tracking_number=sf_number(2))
    assert list(parcel.lines.values_list("line__item__sku", "quantity")) == [("SKU-002", 2)]
    assert Order.objects.get(pk=short.pk).status == "partial"
    assert InventoryItem.objects.get(pk=lamp.pk).stock == 1

    page.locator("#scan-unskip").get_by_role("button", name="恢复跳过的订单").click()
    expect(card).to_have_attribute("data-order-no", last.order_no)


def test_the_desk_fits_a_390_px_phone_and_shows_long_tracking_numbers(page, ops_user):
    _first, short, *_ = queue()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "ops", OPS_PASSWORD, path=f"{SCAN}?order={short.order_no}")
    expect(page.locator("#scan-short")).to_be_visible()
    assert no_sideways_scroll(page), wider_than_the_window(page)
    field = page.locator("#scan-input")
    for number in ("SF1234567890123", "JT12345678901234567"):  # 15 and 19 characters
        field.fill(number)
        assert field.evaluate("el => el.scrollWidth <= el.clientWidth"), number
    save_screenshot(page, "scan_phone")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert no_sideways_scroll(page)
    save_screenshot(page, "scan_phone_bottom")


def test_the_tracking_field_shows_long_numbers_on_a_desktop(page, ops_user):
    queue()
    log_in(page, "ops", OPS_PASSWORD, path=SCAN)
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        field = page.locator("#scan-input")
        field.fill("JT12345678901234567890")
        assert field.evaluate("el => el.scrollWidth <= el.clientWidth"), width
        assert no_sideways_scroll(page), width
