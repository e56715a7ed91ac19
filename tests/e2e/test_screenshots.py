"""Screenshots of the main pages with a realistic shop's data, for the README (docs/screenshots/)."""

import io
import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from inventory.models import InventoryItem
from orders import demo
from orders.models import Carrier, Order
from tests.e2e.support import E2E, log_in, save_screenshot
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


def test_screenshots_of_the_main_pages(page, demo_shop):
    log_in(page, "wangfang", PASSWORD, path="/admin/orders/order/")
    expect(page.locator("#result_list tbody tr").first).to_be_visible()
    assert_pictures_load(page)
    assert no_sideways_scroll(page)
    save_screenshot(page, "order_list")

    shipped = Order.objects.filter(status=Order.Status.SHIPPED).order_by("-shipped_at").first()
    page.goto(f"/admin/orders/order/{shipped.pk}/change/")
    expect(page.locator(".field-tracking_link a")).to_have_text(shipped.tracking_number)
    # The lower half is the interesting one: receiver with 复制, shipping with the tracking link, the ledger.
    page.locator("fieldset", has_text="收货信息").evaluate("fieldset => fieldset.scrollIntoView()")
    assert_pictures_load(page)
    assert no_sideways_scroll(page)
    save_screenshot(page, "order_change")

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
    pending = Order.objects.filter(status=Order.Status.PENDING, item__stock__gte=10).order_by("created_at")[:8]
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
