"""对应商家编码 in Chromium: a clerk picks items with the admin's autocomplete, adds a 组合装 item, saves."""

from playwright.sync_api import expect

from orders import services
from orders.models import SkuMappingComponent
from tests.e2e.support import E2E, OPS_PASSWORD, log_in, save_screenshot
from tests.factories import ItemFactory, ShopFactory

pytestmark = E2E

MAPPINGS = "/admin/orders/skumapping/"


def pick(page, select, typed, label):
    """Open a select2 picker, type part of a SKU or name, choose the result named `label`."""
    select.locator("xpath=following-sibling::span[1]").locator(".select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(typed)
    page.locator(".select2-results__option", has_text=label).click()


def fits(page):
    page.wait_for_load_state("networkidle")  # nothing left in flight when the test ends
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_clerk_maps_unknown_codes_with_the_autocomplete_and_a_bundle(page, ops_user):
    shop = ShopFactory(name="淘宝旗舰店")
    ItemFactory(sku="CUP-500", name="保温杯 500ml")
    ItemFactory(sku="LID-01", name="杯盖")
    lamp = ItemFactory(sku="LAMP-1", name="LED 护眼台灯")
    services.map_platform_code(shop, "TB-LAMP", [(lamp, 1)])
    codes = "&".join(f"code={code}" for code in ("TB-CUP-2", "TB-GIFT-SET", "TB-LAMP"))
    log_in(page, ops_user.username, OPS_PASSWORD, f"{MAPPINGS}map-codes/?shop={shop.pk}&{codes}&next={MAPPINGS}")

    rows = page.locator("tr.map-codes-row")
    expect(rows).to_have_count(3)
    pick(page, rows.nth(0).locator("select").first, "保温", "CUP-500 保温杯 500ml")
    rows.nth(0).locator("input.map-codes-quantity").fill("2")
    pick(page, rows.nth(1).locator("select").first, "cup", "CUP-500 保温杯 500ml")
    rows.nth(1).get_by_role("button", name="＋ 组合装").click()
    pick(page, rows.nth(1).locator("select").nth(1), "杯盖", "LID-01 杯盖")
    pick(page, rows.nth(2).locator("select").first, "LID", "LID-01 杯盖")  # TB-LAMP is mapped already
    for width, height in ((1366, 768), (1280, 720)):
        page.set_viewport_size({"width": width, "height": height})
        assert fits(page), f"sideways scroll at {width}×{height}"
        save_screenshot(page, f"map-codes-{width}")

    page.get_by_role("button", name="保存对应").click()
    # Refused as a whole: the mapped code's row says why, what was typed is still there.
    problem = rows.nth(2).locator(".map-codes-problems")
    expect(problem).to_contain_text("商家编码 TB-LAMP 已对应 LAMP-1 × 1")
    expect(rows.nth(1).locator(".select2-selection__rendered").nth(1)).to_contain_text("LID-01 杯盖")
    assert not SkuMappingComponent.objects.filter(mapping__platform_code="TB-GIFT-SET").exists()
    assert fits(page)
    save_screenshot(page, "map-codes-refused")

    rows.nth(2).locator(".select2-selection__clear").click()  # leave TB-LAMP as it is
    page.keyboard.press("Escape")
    page.get_by_role("button", name="保存对应").click()
    expect(page.locator(".messagelist")).to_contain_text("已对应 2 个商家编码")
    assert page.url.endswith(MAPPINGS)
    expect(page.locator("#result_list")).to_contain_text("CUP-500 × 1 + LID-01 × 1")
    stored = {
        (c.mapping.platform_code, c.item.sku, c.quantity)
        for c in SkuMappingComponent.objects.select_related("mapping", "item")
    }
    assert stored == {
        ("TB-CUP-2", "CUP-500", 2),
        ("TB-GIFT-SET", "CUP-500", 1),
        ("TB-GIFT-SET", "LID-01", 1),
        ("TB-LAMP", "LAMP-1", 1),
    }
    page.set_viewport_size({"width": 1280, "height": 720})
    assert fits(page)
    save_screenshot(page, "sku-mapping-list")

    page.get_by_role("link", name="TB-GIFT-SET").click()
    save_screenshot(page, "sku-mapping-change")
    expect(page.locator(".select2-selection__rendered").first).to_contain_text("CUP-500 保温杯 500ml")
    assert fits(page)
    save_screenshot(page, "sku-mapping-change")
    page.goto(f"{MAPPINGS}import/")
    assert fits(page)
    save_screenshot(page, "sku-mapping-import")
