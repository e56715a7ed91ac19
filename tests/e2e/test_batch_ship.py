"""A clerk downloads tonight's 发货回传 file in a real browser; the page then shows what it marked."""

import io
from pathlib import Path

import openpyxl
from django.utils import timezone
from playwright.sync_api import expect

from orders import services
from orders.models import Parcel, Shop
from tests.e2e.support import E2E, OPS_PASSWORD, log_in, save_screenshot
from tests.e2e.test_no_english import READABLE
from tests.english_words import english_words
from tests.factories import OrderFactory, ShopFactory, carrier, sf_number

pytestmark = E2E


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_the_download_marks_the_parcels_and_the_page_reloads_with_the_new_counts(page, ops_user):
    shop = ShopFactory(name="拼多多旗舰店", platform=Shop.Platform.PINDUODUO)
    first, second = OrderFactory(shop=shop), OrderFactory(shop=shop)
    services.ship_orders([(first, carrier("SF"), sf_number(1)), (second, carrier("ZTO"), "78636098066239")])

    log_in(page, "ops", OPS_PASSWORD, "/admin/orders/order/")
    page.get_by_role("link", name="发货回传").click()
    page.get_by_label("店铺").select_option(label="拼多多旗舰店")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".batch-ship-counts")).to_contain_text("共 2 个已发货包裹，其中已回传 0 个 · 本次文件 2 个包裹")
    expect(page.locator(".batch-ship-preview tbody tr")).to_have_count(2)
    for size in ({"width": 1366, "height": 768}, {"width": 1280, "height": 720}):
        page.set_viewport_size(size)
        assert no_sideways_scroll(page), size
    page.set_viewport_size({"width": 1366, "height": 768})
    save_screenshot(page, "batch_ship")
    assert not english_words(page.evaluate(READABLE))

    with page.expect_download() as info:
        page.get_by_role("button", name="下载回传文件（2 个包裹）").click()
    download = info.value
    today = timezone.localdate().isoformat()
    assert download.suggested_filename == f"发货回传_拼多多旗舰店_拼多多_{today}.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["订单号", "快递公司", "快递单号"],
        [first.order_no, "顺丰快递", sf_number(1)],
        [second.order_no, "中通快递", "78636098066239"],
    ]

    # The page reloads by itself once the file has arrived: the message and the new counts.
    expect(page.locator(".messagelist")).to_contain_text("2 个包裹已标记为已回传")
    expect(page.locator(".batch-ship-counts")).to_contain_text("其中已回传 2 个 · 本次文件 0 个包裹")
    expect(page.get_by_role("button", name="下载回传文件（0 个包裹）")).to_be_disabled()
    assert Parcel.objects.filter(platform_exported_at__isnull=False).count() == 2

    # A parcel voided after it went out: the page names its number, to be corrected on the platform.
    services.void_parcel(Parcel.objects.get(tracking_number=sf_number(1)))
    page.reload()
    expect(page.locator(".batch-ship-voided")).to_contain_text(f"已回传的包裹后来撤销了：{sf_number(1)}")

    # The order page says when its parcel went out in the file; the list's tools still fit 1280 px.
    page.goto(f"/admin/orders/order/{first.pk}/change/")
    expect(page.locator(".order-parcels .parcel-exported")).to_contain_text("已回传（")
    page.goto("/admin/orders/order/?ship_status=all")
    for size in ({"width": 1366, "height": 768}, {"width": 1280, "height": 720}):
        page.set_viewport_size(size)
        assert no_sideways_scroll(page), size
