"""The issue's story: a client made in the admin, an order pushed with the shown key, seen in the
clerk's queue, shipped, and a signed webhook with the tracking number arriving at the store."""

import hashlib
import hmac
import json
import re

import pytest
from rest_framework.test import APIClient

from api.models import ApiClient, WebhookDelivery
from orders import services
from orders.models import Order
from tests.api.conftest import order_body
from tests.factories import carrier, sf_number

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_admin_client_curl_order_queue_ship_and_signed_webhook(clerk_client, shop, items, receiver, webhook_worker):
    created = clerk_client.post(
        "/admin/api/apiclient/add/",
        {"name": "自营商城", "shop": shop.pk, "scopes": ["orders:write", "orders:read"], "webhook_url": receiver.url},
    )
    assert created.status_code == 200
    page = created.content.decode()
    key = re.search(r'<code id="api-key">([^<]+)</code>', page).group(1)
    assert "密钥只在此页显示一次" in page and f"Bearer {key}" in page  # the curl example carries it
    client = ApiClient.objects.get(name="自营商城")
    assert key.split(".")[0] == client.key_prefix and key not in client.key_hash
    # Shown once: the client's own page never shows it again (the webhook secret it does).
    change_page = clerk_client.get(f"/admin/api/apiclient/{client.pk}/change/").content.decode()
    assert key not in change_page and key.split(".")[1] not in change_page and client.webhook_secret in change_page

    store = APIClient()
    store.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert store.post("/api/v1/orders/", order_body("WEB-2001"), format="json").status_code == 201

    queue = clerk_client.get("/admin/orders/order/").content.decode()
    assert "WEB-2001" in queue

    with webhook_worker() as until:
        services.ship_order(Order.objects.get(order_no="WEB-2001"), carrier("SF"), sf_number(2001))
        receiver.wait_for(1)
        until(lambda: WebhookDelivery.objects.filter(status="delivered").exists())

    headers, body = receiver.received[0]
    signed = f"{headers['X-OMS-Timestamp']}.".encode() + body
    assert (
        headers["X-OMS-Signature"]
        == "v1=" + hmac.new(client.webhook_secret.encode(), signed, hashlib.sha256).hexdigest()
    )
    assert json.loads(body)["parcel"]["tracking_number"] == sf_number(2001)
    assert store.get("/api/v1/orders/WEB-2001/").json()["status"] == "shipped"
