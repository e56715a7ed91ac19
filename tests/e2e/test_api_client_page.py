"""店铺 API in Chromium: a client made in the admin shows its key once, on a page that fits 1366 and 1280."""

import pytest
from playwright.sync_api import expect

from api.models import ApiClient
from tests.e2e.support import E2E, log_in, save_screenshot
from tests.e2e.test_screenshots import no_sideways_scroll
from tests.factories import ItemFactory, ShopFactory

pytestmark = E2E


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("wangfang", "wangfang@example.com", "pw-manager-2026")


def test_a_new_client_shows_its_key_once_and_the_docs_load(page, admin_user):
    shop = ShopFactory(name="自营商城")
    ItemFactory(sku="SKU-001", name="纯棉T恤 白色 L")
    log_in(page, "wangfang", "pw-manager-2026", path="/admin/api/apiclient/add/")
    page.get_by_label("名称").fill("官网商城")
    page.get_by_label("店铺").select_option(label=shop.name)
    page.get_by_label("推送、取消订单（orders:write）").check()
    page.get_by_label("读取订单与包裹（orders:read）").check()
    page.get_by_label("回调地址").fill("https://shop.example.com/hooks/oms")
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="保存", exact=True).click()

    key = page.locator("#api-key").inner_text()
    client = ApiClient.objects.get(name="官网商城")
    assert key.startswith(f"{client.key_prefix}.")
    expect(page.locator("pre.api-curl")).to_contain_text(f"Bearer {key}")
    expect(page.locator("pre.api-curl")).to_contain_text('"sku": "SKU-001"')
    for width, height in [(1366, 768), (1280, 720)]:
        page.set_viewport_size({"width": width, "height": height})
        assert no_sideways_scroll(page), width
    page.set_viewport_size({"width": 1366, "height": 768})
    save_screenshot(page, "api_client_key")

    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info")).to_contain_text("OMS 店铺 API")
