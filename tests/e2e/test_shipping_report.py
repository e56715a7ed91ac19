"""A manager reads the day's shipments (发货日报) and downloads them for Excel, in a real browser."""

import codecs
import csv
import io
import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from orders import services
from tests.e2e.support import E2E, MANAGER_PASSWORD, log_in
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = E2E

HEADERS = [
    "订单号",
    "用户ID",
    "产品名",
    "SKU",
    "数量",
    "收货人",
    "电话",
    "地址",
    "快递公司",
    "快递单号",
    "发货时间",
    "操作人",
]


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_manager_filters_the_report_by_carrier_and_downloads_the_csv(page, manager, ops_user):
    cup = ItemFactory(sku="SKU-CUP", name="陶瓷马克杯", initial_stock=20)
    pen = ItemFactory(sku="SKU-PEN", name="中性笔", initial_stock=20)
    first = OrderFactory(
        lines=[(cup, 2), (pen, 1)],
        receiver_name='=HYPERLINK("http://x")',
        receiver_phone="13912345678",
        address="浙江省杭州市西湖区文三路88号3栋1202室",
    )
    services.ship_order(first, carrier("SF"), sf_number(1), user=ops_user)
    second = OrderFactory(item=cup)
    services.ship_order(second, carrier("SF"), sf_number(2), user=ops_user)
    voided = services.ship_order(OrderFactory(item=cup), carrier("SF"), sf_number(3), user=ops_user)
    services.void_parcel(voided, user=ops_user)  # not shipped after all: not in the report
    services.ship_order(OrderFactory(item=cup), carrier("ZTO"), "71234567890123", user=ops_user)
    OrderFactory(item=cup)  # still pending: not in the report

    log_in(page, "manager", MANAGER_PASSWORD)
    page.get_by_role("link", name="查看发货日报").click()

    expect(page.locator(".report-range")).to_contain_text("共 3 个包裹，3 单，5 件")
    page.get_by_label("快递公司").select_option(label="顺丰速运")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".report-range")).to_contain_text("顺丰速运 · 共 2 个包裹，2 单，4 件")
    expect(page.locator("#report_list tbody tr")).to_have_count(3)  # a row per parcel line
    for size in ({"width": 1366, "height": 768}, {"width": 1280, "height": 720}):
        page.set_viewport_size(size)
        assert no_sideways_scroll(page), size

    with page.expect_download() as info:
        page.get_by_role("link", name="下载 CSV").click()
    download = info.value
    today = timezone.localdate().isoformat()
    assert download.suggested_filename == f"发货日报_{today}.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    header, *rows = csv.reader(io.StringIO(raw[len(codecs.BOM_UTF8) :].decode("utf-8")))
    assert header == HEADERS
    assert [(row[0], row[3], row[4]) for row in rows] == [
        (first.order_no, "SKU-CUP", "2"),
        (first.order_no, "SKU-PEN", "1"),
        (second.order_no, "SKU-CUP", "1"),
    ]
    cells = dict(zip(header, rows[0], strict=True))
    assert cells["收货人"] == '\'=HYPERLINK("http://x")'  # shown as text in Excel, never run
    # A manager without orders.export_full_receiver gets receivers masked (PIPL, orders.privacy).
    assert (cells["电话"], cells["地址"]) == ("139****5678", "浙江省杭州市西湖区****")
    assert (cells["快递公司"], cells["快递单号"], cells["操作人"]) == ("顺丰速运", sf_number(1), "张伟")
    assert cells["产品名"] == "陶瓷马克杯"
    assert re.fullmatch(rf"{today} \d\d:\d\d:\d\d", cells["发货时间"])


def test_the_dashboard_counts_parcels_and_fits_the_screen(page, manager, ops_user):
    cup = ItemFactory(initial_stock=20)
    services.ship_order(OrderFactory(item=cup), carrier("SF"), sf_number(1), user=ops_user)
    OrderFactory(item=cup, created_at=timezone.now() - timedelta(hours=50))

    log_in(page, "manager", MANAGER_PASSWORD)
    expect(page.locator(".oms-dashboard-card", has_text="今日发货（包裹）")).to_contain_text("1")
    expect(page.locator(".oms-dashboard-card.warn", has_text="已超时未发货")).to_contain_text("1")
    expect(page.locator(".oms-dashboard-chart svg rect")).to_have_count(1)
    for size in ({"width": 1366, "height": 768}, {"width": 1280, "height": 720}):
        page.set_viewport_size(size)
        assert no_sideways_scroll(page), size
    page.locator(".oms-dashboard-card", has_text="今日发货（包裹）").click()
    expect(page).to_have_title(re.compile("^发货日报"))
