"""The courier's spreadsheet of tracking numbers: upload, preview, confirm, in a real browser."""

import re

from playwright.sync_api import expect

from inventory.models import InventoryItem, StockMovement
from orders.models import Order
from tests.e2e.support import E2E, OPS_PASSWORD, log_in
from tests.factories import ItemFactory, OrderFactory, sf_number
from tests.importing import csv_bytes, db_snapshot

pytestmark = E2E

HEADERS = ["订单号", "快递公司", "快递单号"]


def choose_file(page, name, content):
    page.get_by_label("选择文件").set_input_files({"name": name, "mimeType": "text/csv", "buffer": content})


def test_clerk_previews_then_confirms_a_tracking_file(page, ops_user, ledger_is_consistent):
    cup = ItemFactory(name="陶瓷马克杯", initial_stock=10)
    first, second = OrderFactory(item=cup, quantity=2), OrderFactory(item=cup)
    untouched = OrderFactory(item=cup)
    # As Excel on a Chinese Windows saves it: GBK, CRLF, carrier by its short name.
    rows = [HEADERS, [first.order_no, "顺丰", sf_number(1)], [second.order_no, "ZTO", "71234567890123"]]

    log_in(page, "ops", OPS_PASSWORD, path="/admin/orders/order/")
    page.get_by_role("link", name="导入快递单号").click()
    expect(page.locator(".file-picker-name")).to_have_text("未选择文件")
    choose_file(page, "快递单号.csv", csv_bytes(rows, "gbk"))
    expect(page.locator(".file-picker-name")).to_have_text("快递单号.csv")
    page.get_by_role("button", name="提交").click()

    preview = page.locator("table.import-preview tbody tr")
    expect(preview).to_have_count(2)
    expect(preview.nth(0)).to_contain_text("将发货")
    expect(preview.nth(0)).to_contain_text(f"顺丰速运 {sf_number(1)}")
    expect(preview.nth(1)).to_contain_text("中通快递 71234567890123")
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == 0  # a preview changes nothing

    page.get_by_role("button", name="确认导入").click()
    expect(page.locator(".messagelist .success")).to_have_text("导入完成：已发货 2 行。")
    expect(page).to_have_url(re.compile(r"/admin/orders/order/$"))
    first.refresh_from_db()
    second.refresh_from_db()
    untouched.refresh_from_db()
    assert (first.status, first.carrier.code, first.shipped_by) == (Order.Status.SHIPPED, "SF", ops_user)
    assert (second.status, second.carrier.code) == (Order.Status.SHIPPED, "ZTO")
    assert untouched.status == Order.Status.PENDING
    assert InventoryItem.objects.get(pk=cup.pk).stock == 7
    assert StockMovement.objects.filter(reason=StockMovement.Reason.SHIP).count() == 2
    ledger_is_consistent()


def test_a_file_with_problems_is_explained_and_cannot_be_confirmed(page, ops_user):
    order = OrderFactory()
    before = db_snapshot()
    rows = [HEADERS, [order.order_no, "顺丰", "SF123"], ["DD404", "顺丰", sf_number(2)]]

    log_in(page, "ops", OPS_PASSWORD, path="/admin/orders/order/")
    page.get_by_role("link", name="导入快递单号").click()
    choose_file(page, "快递单号.csv", csv_bytes(rows, "utf-8-sig"))
    page.get_by_role("button", name="提交").click()

    problems = page.locator(".import-problems")
    expect(problems).to_contain_text("未导入任何数据")
    expect(problems).to_contain_text("订单 DD404 不存在")
    expect(problems).to_contain_text("SF123")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    assert db_snapshot() == before
