"""A 抖店 export with a code the shop has no item for yet: listed, mapped, 重新检查, confirmed, in a browser."""

import re

from playwright.sync_api import expect

from orders.models import Order, Shop
from tests.e2e.support import E2E, log_in, save_screenshot
from tests.factories import ItemFactory, ShopFactory
from tests.platform_samples import SampleLine, SampleOrder, doudian

pytestmark = E2E


def test_unknown_code_is_listed_mapped_rechecked_and_confirmed(page, admin_user):
    ShopFactory(platform=Shop.Platform.DOUDIAN, name="抖店旗舰店")
    ItemFactory(sku="A-1", name="蓝色水杯", initial_stock=10)
    orders = [
        SampleOrder("6900000000000001", [SampleLine("A-1", 1, "蓝色水杯"), SampleLine("NEW-9", 2, "新款保温杯")]),
        SampleOrder("6900000000000002", [SampleLine("A-1", 1, "蓝色水杯")]),
    ]
    ((name, content),) = doudian(orders)

    log_in(page, "admin", "password", path="/admin/orders/order/")
    page.get_by_role("link", name="导入订单").click()
    page.get_by_label("选择文件").set_input_files({"name": name, "mimeType": "text/csv", "buffer": content})
    expect(page.locator(".file-picker-name")).to_have_text(name)
    page.get_by_role("button", name="提交").click()

    expect(page.locator(".import-recognised")).to_contain_text("识别为：抖店订单导出；订单归入店铺：抖店旗舰店")
    unknown = page.locator(".import-unknown-codes tr.unknown-code")
    expect(unknown).to_have_count(1)
    expect(unknown).to_contain_text("NEW-9")
    expect(unknown).to_contain_text("新款保温杯")
    expect(unknown).to_contain_text("第 3 行")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)  # nothing to confirm yet
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        page.locator(".import-unknown-codes").scroll_into_view_if_needed()
        save_screenshot(page, f"platform-import-unknown-code-{width}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "sideways scroll"

    # The stand-in for hF's mapping form: a new item whose SKU is the code, in a new window.
    with page.expect_popup() as popup:
        unknown.get_by_role("link", name="新增为库存商品").click()
    item_page = popup.value
    expect(item_page.get_by_label("SKU")).to_have_value("NEW-9")
    item_page.get_by_role("button", name="保存", exact=True).click()
    expect(item_page.locator(".messagelist .success")).to_be_visible()
    item_page.close()

    page.get_by_role("link", name="重新检查").click()
    expect(page.locator(".import-unknown-codes")).to_have_count(0)
    expect(page.locator("table.import-preview tbody tr")).to_have_count(3)
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator(".messagelist .success")).to_contain_text("导入完成：已新建 3 行")
    expect(page).to_have_url(re.compile(r"/admin/orders/order/$"))
    order = Order.objects.get(order_no="6900000000000001")
    assert sorted(order.lines.values_list("item__sku", "quantity")) == [("A-1", 1), ("NEW-9", 2)]
