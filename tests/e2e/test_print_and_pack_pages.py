"""The pages issue 18 changed, in Chromium at 1366×768 and 1280×720: the order list with waiting
parcels, 打印未打印面单, the 寄件人 page, the order page's parcels (验货, weight) and 验货记录.
Pictures load, nothing scrolls sideways, and the print page's labels are the stored files."""

from decimal import Decimal

import pytest

from logistics.models import Sender, Waybill
from orders import services
from orders.models import PackingCheck, Parcel
from tests.e2e.support import E2E, OPS_PASSWORD, log_in, save_screenshot
from tests.factories import ItemFactory, OrderFactory
from tests.logistics.conftest import courier, fake_kuaidi100, run_action, sender  # noqa: F401 (fixtures)

pytestmark = E2E


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def pictures_load(page):
    page.wait_for_function("Array.from(document.images).every(img => img.complete)")
    return page.evaluate("Array.from(document.images).every(img => img.naturalWidth > 0)")


@pytest.fixture
def packed_shop(courier, sender, ops_user, django_user_model):  # noqa: F811
    Sender.objects.filter(pk=sender.pk).update(ship_mode=Sender.ShipMode.ON_SCAN)
    shirt = ItemFactory(sku="TS-WHT-L", name="白色T恤 L", initial_stock=30, barcode="6901234567892", location="A-01")
    cup = ItemFactory(sku="CUP-500", name="保温杯 500ml", initial_stock=30, barcode="6920000000017", location="B-03")
    orders = [
        OrderFactory(order_no=f"TB2026120{n}", lines=[(shirt, 1), (cup, n % 2 + 1)], receiver_name=name)
        for n, name in enumerate(["张三", "李四", "王五", "赵六"], start=1)
    ]
    run_action(ops_user, orders)
    shipped = Parcel.objects.filter(lines__line__order=orders[0]).distinct().get()
    services.mark_parcels_printed([shipped])
    (shipped,) = services.hand_over_parcels([shipped], user=ops_user, weight=Decimal("0.65"))
    PackingCheck.objects.create(parcel=shipped, checked_by=ops_user, scanned_units=2, wrong_scans=1)
    return orders


@pytest.mark.parametrize("width,height", [(1366, 768), (1280, 720)])
def test_print_and_pack_pages(page, packed_shop, ops_user, width, height, admin_user):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, ops_user.username, OPS_PASSWORD, "/admin/orders/order/")
    page.wait_for_selector(".badge-waiting")
    assert page.locator(".badge-waiting").count() == 3 and fits(page)
    assert page.locator("input[name$='-tracking_number']").count() == 0  # nothing left to type a number for
    assert page.get_by_role("link", name="打印未打印面单（3）").is_visible()
    save_screenshot(page, f"order-list-waiting-{width}")

    page.goto("/admin/orders/order/labels/?unprinted=1")
    assert page.locator("section.label").count() == 3 and pictures_load(page) and fits(page)
    sources = page.eval_on_selector_all("section.label img", "imgs => imgs.map(i => i.getAttribute('src'))")
    assert all(src.startswith("/media/waybill-labels/") for src in sources), sources
    save_screenshot(page, f"labels-unprinted-{width}")

    first = packed_shop[0]
    page.goto(f"/admin/orders/order/{first.pk}/change/")
    parcels = page.locator("#parcels").inner_text()
    assert "已发货" in parcels and "0.65 千克" in parcels and "验货完成" in parcels and fits(page)
    page.locator("#parcels").scroll_into_view_if_needed()
    save_screenshot(page, f"order-parcel-checked-{width}")

    page.goto("/admin/orders/packingcheck/")
    assert "验货记录" in page.title() and fits(page)
    save_screenshot(page, f"packing-checks-{width}")

    page.context.clear_cookies()
    admin_user.set_password("pw-admin-123")
    admin_user.save()
    log_in(page, admin_user.username, "pw-admin-123", f"/admin/logistics/sender/{Sender.objects.get().pk}/change/")
    assert page.get_by_label("发货方式").input_value() == Sender.ShipMode.ON_SCAN and fits(page)
    save_screenshot(page, f"sender-ship-mode-{width}")
    assert Waybill.objects.count() == 4
