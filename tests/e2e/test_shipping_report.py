"""A manager reads the day's shipments (发货日报) and downloads them for Excel, in a real browser."""

import codecs
import csv
import io
import re
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


def test_manager_filters_the_report_by_carrier_and_downloads_the_csv(page, manager, ops_user):
    cup = ItemFactory(sku="SKU-CUP", name="陶瓷马克杯", initial_stock=20)
    by_sf = [
        services.ship_order(
            OrderFactory(
                item=cup,
                quantity=2,
                receiver_name='=HYPERLINK("http://x")',
                receiver_phone="13912345678",
                address="浙江省杭州市西湖区文三路88号3栋1202室",
            ),
            carrier("SF"),
            sf_number(1),
            user=ops_user,
        ),
        services.ship_order(OrderFactory(item=cup), carrier("SF"), sf_number(2), user=ops_user),
    ]
    services.ship_order(OrderFactory(item=cup), carrier("ZTO"), "71234567890123", user=ops_user)
    OrderFactory(item=cup)  # still pending: not in the report

    log_in(page, "manager", MANAGER_PASSWORD)
    page.get_by_role("link", name="查看发货日报").click()

    expect(page.locator(".report-range")).to_contain_text("共 3 单，4 件")
    page.get_by_label("快递公司").select_option(label="顺丰速运")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".report-range")).to_contain_text("顺丰速运 · 共 2 单，3 件")
    expect(page.locator("#report_list tbody tr")).to_have_count(2)

    with page.expect_download() as info:
        page.get_by_role("link", name="下载 CSV").click()
    download = info.value
    today = timezone.localdate().isoformat()
    assert download.suggested_filename == f"发货日报_{today}.csv"
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    header, *rows = csv.reader(io.StringIO(raw[len(codecs.BOM_UTF8) :].decode("utf-8")))
    assert header == HEADERS
    assert [row[0] for row in rows] == [order.order_no for order in by_sf]
    first = dict(zip(header, rows[0], strict=True))
    assert first["收货人"] == '\'=HYPERLINK("http://x")'  # shown as text in Excel, never run
    # A manager without orders.export_full_receiver gets receivers masked (PIPL, orders.privacy).
    assert (first["电话"], first["地址"]) == ("139****5678", "浙江省杭州市西湖区****")
    assert (first["快递公司"], first["快递单号"], first["操作人"]) == ("顺丰速运", sf_number(1), "张伟")
    assert (first["SKU"], first["产品名"], first["数量"]) == ("SKU-CUP", "陶瓷马克杯", "2")
    assert re.fullmatch(rf"{today} \d\d:\d\d:\d\d", first["发货时间"])
