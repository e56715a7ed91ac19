"""Screenshots of the main pages with a realistic shop's data, for the README (docs/screenshots/)."""

import io
import random
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import InventoryItem
from orders import demo, services
from orders.models import Carrier, Order
from tests.e2e.support import E2E, log_in, save_screenshot
from tests.factories import ItemFactory, OrderFactory, sf_number
from tests.importing import csv_bytes

pytestmark = E2E

PASSWORD = "pw-manager-2026"


@pytest.fixture
def demo_shop(django_user_model):
    """The seed_demo shop: 20 items with pictures, 200 orders in every status."""
    manager = django_user_model.objects.create_superuser("wangfang", "wangfang@example.com", PASSWORD)
    manager.first_name = "王芳"
    manager.save(update_fields=["first_name"])
    call_command("seed_demo", stdout=io.StringIO())
    return manager


def assert_pictures_load(page):
    """Every picture on the page exists, and those on screen have drawn before the shot."""
    sources = page.eval_on_selector_all("img", "imgs => imgs.map(img => img.src)")
    assert sources
    for src in set(sources):
        assert page.request.get(src).ok, src
    # Pictures load lazily; wait for the ones in the viewport (a broken one is complete too).
    page.wait_for_function(
        "Array.from(document.images).filter(img => img.getBoundingClientRect().top < innerHeight)"
        ".every(img => img.complete)"
    )
    assert page.evaluate("Array.from(document.images).filter(img => img.complete).every(img => img.naturalWidth > 0)")


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.fixture
def order_shop(django_user_model):
    """A shop's order desk: items with pictures; single-line, multi-line, partly shipped, shipped,
    mergeable and cancelled orders (built through the services, like seed_demo)."""
    manager = django_user_model.objects.create_superuser("wangfang", "wangfang@example.com", PASSWORD)
    manager.first_name = "王芳"
    manager.save(update_fields=["first_name"])
    rng = random.Random(14)
    names = ["保温杯 500ml", "陶瓷马克杯", "帆布托特包", "无线鼠标", "护手霜套装", "竹制砧板", "棉麻抱枕", "蓝牙耳机"]
    items = []
    for n, name in enumerate(names):
        item = ItemFactory(sku=f"SKU-{n + 1:03d}", name=name, initial_stock=200)
        item.image.save(f"demo-{n}.png", ContentFile(demo.product_picture(name, n, len(names))), save=True)
        items.append(item)
    now = timezone.now()
    sf, zto = Carrier.objects.get(code="SF"), Carrier.objects.get(code="ZTO")
    orders = []
    for n in range(40):
        count = 1 if n % 3 else rng.choice([2, 3, 4])
        lines = [(item, rng.randint(1, 3)) for item in rng.sample(items, count)]
        receiver = {"receiver_name": demo.person_name(rng), "receiver_phone": demo.phone(rng)}
        if n in (5, 6):
            receiver = {
                "receiver_name": "陈思远",
                "receiver_phone": "13700001111",
                "address": "上海市浦东新区世纪大道 88 号",
            }
        order = OrderFactory(
            order_no=f"TB{20261120000 + n}",
            lines=lines,
            created_at=now - timedelta(hours=60 - n),
            **{"address": demo.address(rng), **receiver},
        )
        orders.append(order)
    for n, order in enumerate(orders[20:], start=20):
        if n % 4 == 0:
            services.ship_order(order, sf, sf_number(900 + n), user=manager)
        elif n % 4 == 1:
            line = order.lines.first()
            services.ship_parcel([(line, line.quantity)], zto, f"7{n:013d}", user=manager)
        elif n % 4 == 2:
            services.cancel_order(order, user=manager)
    return orders


def test_screenshots_of_the_order_pages(page, order_shop):
    log_in(page, "wangfang", PASSWORD, path="/admin/orders/order/")
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/admin/orders/order/")
        expect(page.locator("#result_list tbody tr").first).to_be_visible()
        expect(page.locator(".badge-merge").first).to_be_visible()
        assert_pictures_load(page)
        assert no_sideways_scroll(page), width
        if width == 1366:
            save_screenshot(page, "order_list")

    page.set_viewport_size({"width": 1366, "height": 768})
    split = Order.objects.filter(status=Order.Status.PARTIAL).order_by("created_at").first()
    page.goto(f"/admin/orders/order/{split.pk}/change/")
    expect(page.locator("#parcels .tracking-link").first).to_be_visible()
    # The interesting half: the lines, the parcel with 撤销此包裹 and 发部分商品.
    page.locator("#parcels").evaluate("fieldset => fieldset.scrollIntoView()")
    page.evaluate("window.scrollBy(0, -220)")
    assert_pictures_load(page)
    assert no_sideways_scroll(page)
    save_screenshot(page, "order_change")
    page.set_viewport_size({"width": 1280, "height": 720})
    assert no_sideways_scroll(page)


def test_screenshots_of_the_other_pages(page, demo_shop):
    log_in(page, "wangfang", PASSWORD, path="/admin/")
    page.goto("/admin/inventory/inventoryitem/")
    expect(page.locator("#result_list tbody tr")).to_have_count(InventoryItem.objects.count())
    assert_pictures_load(page)
    assert no_sideways_scroll(page)
    save_screenshot(page, "item_list")

    page.goto("/admin/")
    expect(page.locator(".oms-dashboard-card", has_text="待发货")).to_be_visible()
    assert no_sideways_scroll(page)
    save_screenshot(page, "dashboard")

    # A week of the shop's shipments: every carrier in the summary, a full page of orders.
    today = timezone.localdate()
    page.goto(f"/admin/orders/order/shipping-report/?date_from={today - timedelta(days=6)}&date_to={today}")
    expect(page.locator("#report_list tbody tr").first).to_be_visible()
    assert no_sideways_scroll(page)
    save_screenshot(page, "shipping_report")

    # A courier's file for the oldest pending orders whose items have stock: codes and names mixed.
    rng = random.Random(6)
    pending = (
        Order.objects.filter(status=Order.Status.PENDING, lines__item__stock__gte=10)
        .distinct()
        .order_by("created_at")[:8]
    )
    carriers = list(Carrier.objects.filter(is_active=True))
    rows = [["订单号", "快递公司", "快递单号"]]
    for order in pending:
        chosen = rng.choice(carriers)
        rows.append([order.order_no, rng.choice([chosen.code, chosen.name]), demo.tracking_number(chosen.code, rng)])
    page.goto("/admin/orders/order/")
    page.get_by_role("link", name="导入快递单号").click()
    page.get_by_label("选择文件").set_input_files(
        {"name": "快递单号.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows, "gbk")}
    )
    page.get_by_role("button", name="提交").click()
    expect(page.locator("table.import-preview tbody tr")).to_have_count(len(rows) - 1)
    expect(page.get_by_role("button", name="确认导入")).to_be_visible()
    assert no_sideways_scroll(page)
    save_screenshot(page, "tracking_import_preview")
