"""退货入库 on the scan desk by keyboard alone, in a real browser (issue 19)."""

from playwright.sync_api import expect

from inventory.models import InventoryItem
from orders import after_sales, services
from orders.models import AfterSaleCase
from tests.e2e.support import E2E, MANAGER_PASSWORD, OPS_PASSWORD, log_in, save_screenshot
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = E2E

SCAN = "/admin/orders/order/scan/"


def test_a_return_is_counted_and_received_by_keyboard(page, ops_user, ledger_is_consistent):
    cup, lid = ItemFactory(sku="RET-CUP", initial_stock=10), ItemFactory(sku="RET-LID", initial_stock=10)
    order = OrderFactory(order_no="RET-KB", lines=[(cup, 2), (lid, 1)])
    services.ship_order(order, carrier("SF"), sf_number(1))
    cup_line, lid_line = order.lines.order_by("pk")
    case = after_sales.create_case(
        order,
        AfterSaleCase.Kind.RETURN_REFUND,
        [(cup_line, 2), (lid_line, 1)],
        return_tracking_number="YT1122334455",
    )
    OrderFactory(order_no="NEXT-1")

    log_in(page, "ops", OPS_PASSWORD, path=SCAN)
    expect(page.locator("#scan-order")).to_have_attribute("data-order-no", "NEXT-1")
    page.locator("#scan-input").fill("YT1122334455")  # the scanner's characters, then its Enter

    page.keyboard.press("Enter")

    receive = page.locator("#scan-receive")
    expect(receive).to_be_visible()
    expect(page.locator("#scan-status")).to_contain_text(f"退货：{case}（订单 RET-KB，退货退款）")
    good_cup = page.get_by_label("RET-CUP 良品")
    expect(good_cup).to_be_focused()
    page.set_viewport_size({"width": 1280, "height": 720})
    save_screenshot(page, "return-desk-1280")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1366, "height": 768})
    save_screenshot(page, "return-desk-1366")

    # One cup came back broken: 1 good, 1 damaged; the lid is fine (its 1 stays as proposed).
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    expect(page.get_by_label("RET-CUP 次品")).to_be_focused()
    page.keyboard.type("1")
    page.keyboard.press("Enter")

    expect(page.locator("#scan-status")).to_contain_text("已收货入库")
    expect(page.locator("#scan-status")).to_contain_text("良品 2 件已回库存，次品 1 件已登记（不回库存）")
    expect(receive).to_have_count(0)
    expect(page.locator("#scan-input")).to_be_focused()
    expect(page.locator("#scan-order")).to_have_attribute("data-order-no", "NEXT-1")
    assert InventoryItem.objects.get(pk=cup.pk).stock == 9  # 10 - 2 + 1 good
    assert InventoryItem.objects.get(pk=lid.pk).stock == 10
    assert AfterSaleCase.objects.get(pk=case.pk).status == AfterSaleCase.Status.RECEIVED
    ledger_is_consistent()


def test_after_sales_pages_fit_the_screen_and_say_what_happened(page, ops_user, manager):
    cup, lid = ItemFactory(sku="FIT-CUP", initial_stock=10), ItemFactory(sku="FIT-LID", initial_stock=10)
    order = OrderFactory(order_no="FIT-1", lines=[(cup, 2), (lid, 1)])
    services.ship_order(order, carrier("SF"), sf_number(1))
    log_in(page, "ops", OPS_PASSWORD, path=f"/admin/orders/order/{order.pk}/change/")

    page.get_by_role("link", name="新建售后").click()
    page.get_by_label("补发").check()
    page.get_by_label("FIT-CUP 售后数量").fill("1")
    page.get_by_label("售后原因").fill("运输破损")
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        save_screenshot(page, f"after-sale-new-{width}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
    page.get_by_role("button", name="新建售后单").click()
    expect(page.locator(".messagelist .success")).to_contain_text("（补发，订单 FIT-1）")

    page.get_by_label("快递公司").select_option(label="顺丰速运")
    page.get_by_label("快递单号").fill(sf_number(2))
    page.get_by_role("button", name="补发", exact=True).click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        f"：顺丰速运 {sf_number(2)}，库存已扣减。售后单已完成。"
    )
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        save_screenshot(page, f"after-sale-case-{width}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width

    for path, name in (
        (f"/admin/orders/order/{order.pk}/change/", "after-sale-order"),
        ("/admin/orders/aftersalecase/", "after-sale-list"),
    ):
        page.goto(path)
        for width, height in ((1366, 768), (1280, 720)):
            page.set_viewport_size({"width": width, "height": height})
            if name == "after-sale-order":
                page.locator("#after-sales").scroll_into_view_if_needed()
            save_screenshot(page, f"{name}-{width}")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (name, width)


def test_the_report_shows_reissues_and_returns_without_sideways_scroll(page, manager):
    item = ItemFactory(sku="REP-MUG", name="马克杯（大号，礼盒装）", initial_stock=10)
    order = OrderFactory(order_no="REP-1", item=item, quantity=2)
    services.ship_order(order, carrier("SF"), sf_number(1))
    line = order.lines.get()
    reissue = after_sales.create_case(order, AfterSaleCase.Kind.REISSUE, [(line, 1)])
    after_sales.ship_reissue(reissue, carrier("SF"), sf_number(2))
    returned = after_sales.create_case(
        order, AfterSaleCase.Kind.RETURN_REFUND, [(line, 2)], return_tracking_number="YT4000000001"
    )
    after_sales.receive_return(returned, {returned.lines.get().pk: (1, 1)})

    log_in(page, "manager", MANAGER_PASSWORD, path="/admin/orders/order/shipping-report/")
    expect(page.locator("#after-sales-summary")).to_have_text(
        "补发 1 个包裹，1 件 · 退货入库 1 单，良品 1 件（已回库存），次品 1 件"
    )
    expect(page.locator("#after_sales_list tbody tr")).to_have_count(2)
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        page.locator("#after-sales-heading").scroll_into_view_if_needed()
        save_screenshot(page, f"after-sale-report-{width}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
