"""粘贴下单 in a real browser (issue 17): paste, 识别, correct the city, pick items with the admin's
autocomplete (also in a row added by 添加一行), confirm."""

from playwright.sync_api import expect

from orders.models import Order, Shop
from tests.e2e.support import E2E, log_in, save_screenshot
from tests.e2e.test_no_english import READABLE
from tests.e2e.test_paste_back import no_sideways_scroll
from tests.english_words import english_words
from tests.factories import ItemFactory, ShopFactory

pytestmark = E2E

URL = "/admin/orders/order/add-from-message/"


def pick_item(page, row, typed, choice):
    """Open the row's item autocomplete, type, and choose the option the admin's search found."""
    row.locator(".select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(typed)
    page.locator(".select2-results__option", has_text=choice).click()


def test_clerk_pastes_a_message_corrects_the_city_picks_items_and_confirms(page, django_user_model):
    django_user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    shop = ShopFactory(name="微信小店")
    Shop.objects.exclude(pk=shop.pk).update(is_active=False)
    ItemFactory(sku="TS-001", name="蓝色T恤L", initial_stock=10)
    ItemFactory(sku="HAT-9", name="黑色帽子", initial_stock=10)

    log_in(page, "boss", "pw-boss-123", path=URL)
    page.set_viewport_size({"width": 1280, "height": 720})
    save_screenshot(page, "chat-order-paste-1280")
    assert no_sideways_scroll(page)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.locator("#id_message").fill("李四 13912345678转88\n西湖区文三路1号\n蓝色T恤L 2件，花衬衫 1件")
    page.get_by_role("button", name="识别").click()

    expect(page.locator("#id_receiver_name")).to_have_value("李四")
    expect(page.locator("#id_receiver_phone")).to_have_value("13912345678-88")
    expect(page.locator("#id_district")).to_have_value("西湖区")
    expect(page.locator("#id_city")).to_have_value("")  # 西湖区 is in 杭州 and in 南昌: not guessed
    expect(page.locator("#id_shop")).to_have_value(str(shop.pk))
    rows = page.locator("#chat-lines tbody tr")
    expect(rows.nth(0)).to_contain_text("TS-001")
    expect(rows.nth(1)).to_contain_text("没有找到“花衬衫”对应的商品，请选择或删除这一行。")
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=save_screenshot(page, f"chat-order-confirm-{width}"), full_page=True)
        assert no_sideways_scroll(page), width
    assert english_words(page.evaluate(READABLE)) == []

    page.locator("#id_province").fill("浙江省")
    page.locator("#id_city").fill("杭州市")
    pick_item(page, rows.nth(1), "帽子", "HAT-9")
    page.get_by_role("button", name="添加一行").click()
    pick_item(page, rows.nth(3), "ts-0", "TS-001")
    rows.nth(3).locator("input[name$=quantity]").fill("3")
    page.get_by_role("button", name="确认下单").click()

    message = page.locator(".messagelist .success")
    expect(message).to_contain_text("已创建订单 WX")
    expect(message).to_contain_text("（微信小店，2 种商品共 6 件，收货人 李四）")
    order = Order.objects.get()
    assert (order.province, order.city, order.district) == ("浙江省", "杭州市", "西湖区")
    assert [(line.item.sku, line.quantity) for line in order.lines.order_by("pk")] == [
        ("TS-001", 2),
        ("HAT-9", 1),
        ("TS-001", 3),
    ]
    expect(page.locator("#id_city")).to_have_value("杭州市")  # the order page shows 省/市/区
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=save_screenshot(page, f"chat-order-created-{width}"), full_page=True)
        assert no_sideways_scroll(page), width
