"""The courier's spreadsheet of tracking numbers: upload, preview, confirm, in a real browser."""

import re

from playwright.sync_api import expect

from inventory.models import InventoryItem, StockMovement
from orders.models import Order, Parcel
from tests.e2e.support import E2E, OPS_PASSWORD, log_in
from tests.factories import ItemFactory, OrderFactory, sf_number
from tests.importing import csv_bytes, db_snapshot

pytestmark = E2E

HEADERS = ["订单号", "快递公司", "快递单号"]


def choose_file(page, name, content):
    page.get_by_label("选择文件").set_input_files({"name": name, "mimeType": "text/csv", "buffer": content})


def test_clerk_previews_then_confirms_a_tracking_file(page, ops_user, ledger_is_consistent):
    cup = ItemFactory(name="陶瓷马克杯", initial_stock=10)
    saucer = ItemFactory(name="杯碟", initial_stock=10)
    first = OrderFactory(lines=[(cup, 2), (saucer, 2)])
    second = OrderFactory(item=cup, receiver_name="李四")
    same_receiver = OrderFactory(item=saucer)  # goes in first's parcel: 合并发货
    untouched = OrderFactory(item=cup)
    # As Excel on a Chinese Windows saves it: GBK, CRLF, carrier by its short name.
    rows = [
        HEADERS,
        [first.order_no, "顺丰", sf_number(1)],
        [second.order_no, "ZTO", "71234567890123"],
        [same_receiver.order_no, "顺丰", sf_number(1)],
    ]

    log_in(page, "ops", OPS_PASSWORD, path="/admin/orders/order/")
    page.get_by_role("link", name="导入快递单号").click()
    expect(page.locator(".file-picker-name")).to_have_text("未选择文件")
    choose_file(page, "快递单号.csv", csv_bytes(rows, "gbk"))
    expect(page.locator(".file-picker-name")).to_have_text("快递单号.csv")
    page.get_by_role("button", name="提交").click()

    preview = page.locator("table.import-preview tbody tr")
    expect(preview).to_have_count(3)
    expect(preview.nth(0)).to_contain_text("将发货")
    expect(preview.nth(0)).to_contain_text(f"顺丰速运 {sf_number(1)}")
    expect(preview.nth(0)).to_contain_text(f"{cup.sku}（陶瓷马克杯）出库 2 件、{saucer.sku}（杯碟）出库 2 件")
    expect(preview.nth(1)).to_contain_text("中通快递 71234567890123")
    expect(preview.nth(2)).to_contain_text(f"与订单 {first.order_no} 合并发货（同一收货人）")
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == 0  # a preview changes nothing

    page.get_by_role("button", name="确认导入").click()
    message = page.locator(".messagelist .success")
    expect(message).to_contain_text("导入完成：已发货 3 单，2 个包裹（顺丰速运 1 个、中通快递 1 个）：订单 ")
    expect(message.get_by_role("link", name=first.order_no)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/admin/orders/order/$"))
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert [statuses[o.pk] for o in (first, second, same_receiver, untouched)] == ["shipped"] * 3 + ["pending"]
    merged = Parcel.objects.get(tracking_number=sf_number(1))
    assert (merged.carrier.code, merged.shipped_by) == ("SF", ops_user)
    assert sorted(merged.lines.values_list("line__order__order_no", flat=True)) == sorted(
        [first.order_no, first.order_no, same_receiver.order_no]
    )
    assert Parcel.objects.get(tracking_number="71234567890123").carrier.code == "ZTO"
    assert InventoryItem.objects.get(pk=cup.pk).stock == 7
    assert InventoryItem.objects.get(pk=saucer.pk).stock == 7
    assert StockMovement.objects.filter(reason=StockMovement.Reason.SHIP).count() == 4
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


def test_clerk_ships_the_good_rows_of_a_file_and_downloads_the_bad_ones(page, ops_user, ledger_is_consistent):
    from tests.e2e.support import save_screenshot

    good_a, good_b = OrderFactory(), OrderFactory(receiver_name="李四")
    bad = OrderFactory(receiver_name="王五")
    rows = [
        HEADERS,
        [good_a.order_no, "顺丰", sf_number(1)],
        ["X404", "顺丰", sf_number(3)],
        [good_b.order_no, "SF", sf_number(2)],
        [bad.order_no, "顺丰", "5301156237108"],
    ]
    log_in(page, "ops", OPS_PASSWORD, path="/admin/orders/order/import/?resource=0")
    choose_file(page, "快递单号.csv", csv_bytes(rows))
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".import-problems")).to_contain_text("顺丰单号为 SF 加 12–13 位数字")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    save_screenshot(page, "tracking-import-partial-preview")

    page.get_by_role("button", name="只发货没有问题的 2 行").click()

    message = page.locator(".messagelist .success")
    expect(message).to_contain_text("已发货 2 单，2 个包裹（顺丰速运 2 个）")
    expect(message).to_contain_text("另有 2 行有问题，未处理")
    save_screenshot(page, "tracking-import-partial-done")
    with page.expect_download() as download:
        message.get_by_role("link", name="下载这 2 行（CSV，含行号和原因）").click()
    content = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert content[0] == "原行号,订单号,快递公司,快递单号,问题"
    assert [line.split(",")[0] for line in content[1:]] == ["3", "5"]
    assert {o.pk for o in Order.objects.filter(status="shipped")} == {good_a.pk, good_b.pk}
    ledger_is_consistent()
