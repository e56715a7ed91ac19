"""验货 in headless Chromium, by keyboard as a scanner types (issue 18): right items ship the parcel,
a wrong item beeps and blocks, a surplus blocks, 强制发货 is recorded, a scale's weight is kept."""

from decimal import Decimal

import pytest

from inventory.models import InventoryItem
from orders import services
from orders.models import PackingCheck, Parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.orders.test_scan_e2e import ARTIFACTS, base_url, browser, page, scan, status  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def state(page):  # noqa: F811
    return page.get_attribute("#scan-app", "data-state")


def tones(page):  # noqa: F811
    return page.evaluate("window.__scan.tones.map(t => t.type + ':' + t.frequency)")


def waiting(order, seed):
    (parcel,) = services.prepare_orders([(order, carrier("SF"), sf_number(seed))])
    return parcel


def test_verify_by_keyboard(page, base_url, ledger_is_consistent):  # noqa: F811
    shirt = ItemFactory(initial_stock=10, sku="TS-WHT-L", name="白色T恤 L", barcode="6901234567892", location="A-01")
    cup = ItemFactory(initial_stock=10, sku="CUP-500", name="保温杯", barcode="6920000000017")
    lamp = ItemFactory(initial_stock=10, sku="LAMP-LED", name="台灯", barcode="6930000000014")
    first = waiting(OrderFactory(order_no="E2E-V1", lines=[(shirt, 2), (cup, 1)]), 1)
    second = waiting(OrderFactory(order_no="E2E-V2", lines=[(cup, 1)], receiver_name="李四"), 2)

    page.goto(f"{base_url}/admin/orders/order/scan/")
    page.click("#scan-verify button")
    page.wait_for_function("document.getElementById('scan-status').textContent.includes('已开启验货')")

    scan(page, first.tracking_number)
    assert state(page) == "checking" and "共 3 件" in status(page)
    assert page.locator("#scan-check-lines tbody tr").count() == 2
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"packing-check-{width}.png"), full_page=True)

    # A wrong item: three square beeps, nothing counted, the parcel stays.
    scan(page, lamp.barcode)
    assert state(page) == "wrong" and "商品不对：LAMP-LED（台灯）不在这个包裹里" in status(page)
    assert tones(page)[-3:] == ["square:220", "square:220", "square:220"]
    scan(page, cup.barcode)
    assert state(page) == "counted"
    scan(page, "6900000000000")  # no item has it: read as a number, refused while the check is open
    assert state(page) == "error"
    scan(page, shirt.barcode)
    assert state(page) == "counted" and "1/2" in page.text_content("#scan-check-lines")
    scan(page, "6920000000017")
    assert state(page) == "wrong" and "多了：CUP-500" in status(page)
    assert tones(page)[-3:] == ["square:220", "square:220", "square:220"]
    assert Parcel.objects.get(pk=first.pk).status == "numbered"

    # A scale types its weight into the field: kept for the parcel that ships next.
    scan(page, "1.25")
    assert state(page) == "weighed" and page.input_value("#scan-weight") == "1.25"
    scan(page, shirt.barcode)
    assert state(page) == "shipped" and "已发货：订单 E2E-V1" in status(page)
    assert tones(page)[-2:] == ["sine:880", "sine:1320"]
    first.refresh_from_db()
    assert (first.status, first.weight) == ("shipped", Decimal("1.250"))
    assert page.input_value("#scan-weight") == ""
    assert PackingCheck.objects.get(parcel=first).wrong_scans == 2

    # 强制发货: the second parcel leaves uncounted, and that is on record.
    scan(page, "E2E-V2")
    assert state(page) == "checking"
    scan(page, "强制发货")
    assert state(page) == "shipped" and "强制发货，未清点 CUP-500 × 1" in status(page)
    check = PackingCheck.objects.get(parcel=second)
    assert (check.forced, check.missing) == (True, "CUP-500 × 1")
    assert (InventoryItem.objects.get(pk=shirt.pk).stock, InventoryItem.objects.get(pk=cup.pk).stock) == (8, 8)
    ledger_is_consistent()
