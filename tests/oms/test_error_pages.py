"""The error pages a user may meet are Chinese, in the admin's look, with a way back; DEBUG off
(as in production) and, for a wrong URL, DEBUG on (the demo)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

WAY_BACK = ['href="/admin/"', "返回首页", "返回上一页"]


def assert_product_page(response, status, heading):
    html = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}" in html and "订单管理系统" in html, html[:300]
    assert all(link in html for link in WAY_BACK)
    assert "/static/admin/css/base.css" in html  # the admin's look
    for english in ("Not Found", "Forbidden", "Server Error", "Bad Request", "CSRF", "Page not found"):
        assert english not in html


@pytest.mark.parametrize("debug", [False, True], ids=["production", "demo (DEBUG on)"])
def test_a_wrong_url_shows_the_products_404(settings, clerk_client, debug):
    settings.DEBUG = debug
    for url in ("/no-such-page/", "/admin/no-such-page/", "/admin/orders/no-such-model/"):
        assert_product_page(clerk_client.get(url), 404, "页面不存在")
    assert_product_page(Client().get("/no-such-page/"), 404, "页面不存在")


def test_a_missing_slash_still_redirects(clerk_client):
    assert clerk_client.get("/admin").headers["Location"] == "/admin/"
    assert clerk_client.get("/admin/orders/order?ship_status=all").headers["Location"] == (
        "/admin/orders/order/?ship_status=all"
    )


def test_a_forbidden_page_is_chinese(ops_client):
    assert_product_page(ops_client.get("/admin/auth/user/"), 403, "没有权限")


def test_a_failed_csrf_check_says_the_page_expired(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    response = client.post("/admin/orders/order/", {"action": "cancel_orders"})
    assert_product_page(response, 403, "页面已过期")
    assert "什么都没有保存" in response.content.decode()


def test_a_bad_request_is_chinese():
    assert_product_page(Client().get("/admin/", HTTP_HOST="bad host"), 400, "请求无效")


@pytest.mark.urls("tests.oms.error_urls")
def test_a_server_error_is_chinese():
    response = Client(raise_request_exception=False).get("/fail/")
    assert_product_page(response, 500, "系统出错")
