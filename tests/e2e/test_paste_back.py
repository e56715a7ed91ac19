"""批量回填 with bad lines, and the carrier list, in a real browser (issue 16 points 3, 4, 5, 13)."""

from playwright.sync_api import expect

from orders.models import Order
from tests.e2e.support import E2E, OPS_PASSWORD, log_in, save_screenshot
from tests.factories import OrderFactory, sf_number

pytestmark = E2E


def no_sideways_scroll(page):
    """Neither the page nor a table's own scroll box (the admin's div.results scrolls by itself) is wider than shown."""
    return page.evaluate(
        """() => [document.documentElement, ...document.querySelectorAll('.results, #paste-app')]
            .every(box => box.scrollWidth <= box.clientWidth)"""
    )


def test_clerk_ships_the_good_lines_and_keeps_three_bad_ones_with_their_reasons(page, ops_user, ledger_is_consistent):
    good = [OrderFactory(order_no=f"PB00{n}", receiver_name=f"收货人{n}") for n in (1, 2)]
    ambiguous = OrderFactory(order_no="PB003", receiver_name="王五")
    wrong_format = OrderFactory(order_no="PB004", receiver_name="赵六")
    text = (
        f"PB001\t{sf_number(1)}\n"
        "PB999\tSF1234567890555\n"  # no such order
        f"PB003\t773194917396313\n"  # 申通 or 韵达: the clerk must say which
        f"PB002\t{sf_number(2)}\n"
        "PB004\t顺丰\t5301156237108\n"  # a 韵达 number named 顺丰
    )

    log_in(page, "ops", OPS_PASSWORD, path="/admin/orders/order/paste/")
    page.locator("textarea[name=text]").fill(text)
    page.get_by_role("button", name="预览").click()
    expect(page.locator(".errornote")).to_contain_text("有 3 行有问题")
    expect(page.get_by_role("button", name="确认发货")).to_have_count(0)  # all or nothing stays the default
    rows = page.locator("#paste-preview tbody tr")
    expect(rows.nth(2)).to_contain_text("可能属于：申通快递、韵达快递")
    expect(rows.nth(4)).to_contain_text("顺丰单号为 SF 加 12–13 位数字")
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        save_screenshot(page, f"paste-back-preview-{width}")
        assert no_sideways_scroll(page), width

    page.get_by_role("button", name="只发货没有问题的 2 行").click()

    message = page.locator(".messagelist .success")
    expect(message).to_contain_text("批量回填完成：已发货 2 单，2 个包裹（顺丰速运 2 个）：订单 PB001、PB002")
    left = page.locator("#paste-left")
    expect(left).to_contain_text("未发货的 3 行已留在下面的文本框中")
    expect(left.locator("li")).to_have_count(3)
    expect(left.locator("li").nth(0)).to_contain_text("原第 2 行")
    expect(left.locator("li").nth(0)).to_contain_text("没有找到已存在的订单号")
    expect(left.locator("li").nth(1)).to_contain_text("原第 3 行")
    expect(left.locator("li").nth(1)).to_contain_text("申通快递、韵达快递")
    expect(left.locator("li").nth(2)).to_contain_text("原第 5 行")
    expect(page.locator("textarea[name=text]")).to_have_value(
        "PB999\tSF1234567890555\nPB003\t773194917396313\nPB004\t顺丰\t5301156237108"
    )
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        save_screenshot(page, f"paste-back-left-{width}")
        assert no_sideways_scroll(page), width
    assert {o.order_no for o in Order.objects.filter(status="shipped")} == {"PB001", "PB002"}
    assert {o.status for o in Order.objects.filter(pk__in=[ambiguous.pk, wrong_format.pk])} == {"pending"}

    # The list link shows exactly the two shipped orders.
    message.get_by_role("link", name="在订单列表中查看这 2 单").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.locator("#result_list")).to_contain_text(good[0].order_no)
    ledger_is_consistent()


def test_ops_read_the_carrier_formats_without_sideways_scroll(page, ops_user):
    log_in(page, "ops", OPS_PASSWORD, path="/admin/orders/carrier/")
    table = page.locator("#result_list")
    expect(table).to_contain_text("顺丰单号为 SF 加 12–13 位数字")
    expect(table).to_contain_text("德邦快递")
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        save_screenshot(page, f"carrier-list-ops-{width}")
        assert no_sideways_scroll(page), width


def test_the_admins_editable_carrier_list_fits_too(page, django_user_model):
    django_user_model.objects.create_superuser("boss", password="pw-boss-123")
    log_in(page, "boss", "pw-boss-123", path="/admin/orders/carrier/")
    expect(page.locator("#result_list input[name=form-0-sort_order]")).to_be_visible()
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        save_screenshot(page, f"carrier-list-admin-{width}")
        assert no_sideways_scroll(page), width
