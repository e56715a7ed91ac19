"""The 店铺 API pages: clients made with their key shown once, 吊销, calls and deliveries as records, 重新发送."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from api.models import ApiClient, WebhookDelivery
from tests.api.conftest import order_body

pytestmark = pytest.mark.django_db


def test_a_new_client_gets_only_the_chosen_scopes_and_no_stored_key(clerk_client, shop):
    response = clerk_client.post(
        "/admin/api/apiclient/add/", {"name": "小程序", "shop": shop.pk, "scopes": ["stock:read"], "webhook_url": ""}
    )

    assert response.status_code == 200
    client = ApiClient.objects.get()
    assert (client.scopes, client.shop, client.webhook_url) == (["stock:read"], shop, "")
    assert client.key_prefix in response.content.decode()


def test_a_duplicate_name_is_refused_next_to_the_field(clerk_client, shop, make_client):
    make_client(name="小程序")
    response = clerk_client.post("/admin/api/apiclient/add/", {"name": "小程序", "shop": shop.pk, "scopes": []})

    assert response.status_code == 200
    assert "具有 名称 的 API 客户端 已存在。" in response.content.decode()
    assert ApiClient.objects.count() == 1


def test_revoking_from_the_list_says_so_and_the_key_stops(clerk_client, make_client):
    client, api = make_client()
    response = clerk_client.post(
        "/admin/api/apiclient/", {"action": "revoke", ACTION_CHECKBOX_NAME: [client.pk], "index": "0"}, follow=True
    )

    assert "已吊销 1 个 API 客户端，它们的密钥立即失效。" in response.content.decode()
    assert api.get("/api/v1/orders/").status_code == 401
    assert "已吊销" in clerk_client.get("/admin/api/apiclient/").content.decode()


def test_calls_and_deliveries_are_read_only_records(clerk_client, api, items):
    api.post("/api/v1/orders/", order_body(), format="json")

    calls = clerk_client.get("/admin/api/apicall/")
    assert calls.status_code == 200 and "/api/v1/orders/" in calls.content.decode()
    assert clerk_client.get("/admin/api/webhookdelivery/").status_code == 200


def test_resend_from_the_list_requeues_a_failed_delivery(clerk_client, make_client, receiver):
    client, _api = make_client(webhook_url=receiver.url)
    failed = WebhookDelivery.objects.create(
        client=client, event="order.cancelled", order_no="X", body="{}", status="failed"
    )
    done = WebhookDelivery.objects.create(
        client=client, event="order.cancelled", order_no="Y", body="{}", status="delivered"
    )

    response = clerk_client.post(
        "/admin/api/webhookdelivery/",
        {"action": "resend", ACTION_CHECKBOX_NAME: [failed.pk, done.pk], "index": "0"},
        follow=True,
    )

    assert "已重新排队发送 1 条回调；1 条已送达，未重发。" in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)
    page = clerk_client.get(f"/admin/api/webhookdelivery/{failed.pk}/change/").content.decode()
    assert "订单已取消" in page and "重新发送所选回调" not in page  # the record's page: nothing to save
