"""Only a live key with the right scope gets in; each client has its own rate limit."""

import re

import pytest
from rest_framework.test import APIClient

from api.models import ApiCall, ApiClient, Scope
from api.services import revoke_clients
from tests.api.conftest import order_body

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def test_no_key_is_401_with_a_bearer_challenge_and_recorded():
    response = APIClient().get(ORDERS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["errors"][0]["message"] == "缺少 API 密钥：请在请求头加上 Authorization: Bearer <密钥>。"
    assert list(ApiCall.objects.values_list("client", "status_code")) == [(None, 401)]


@pytest.mark.parametrize("header", ["Bearer nope", "Bearer abc.def", "Bearer a b"])
def test_a_wrong_key_is_401(make_client, header):
    make_client()
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=header)

    response = http.get(ORDERS)
    assert response.status_code == 401
    assert "API 密钥无效" in response.json()["errors"][0]["message"]


def test_the_right_prefix_with_a_wrong_secret_is_401(make_client):
    client, _api = make_client()
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {client.key_prefix}.not-the-secret")

    assert http.get(ORDERS).status_code == 401


def test_the_key_is_stored_only_as_its_hash(make_client):
    client, api = make_client()
    key = api._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer ")

    stored = ApiClient.objects.filter(pk=client.pk).values()[0]
    assert key.startswith(f"{client.key_prefix}.")
    assert all(key not in str(value) and key.split(".")[1] not in str(value) for value in stored.values())


def test_a_revoked_key_stops_working_at_once(make_client):
    client, api = make_client()
    assert api.get(ORDERS).status_code == 200

    revoke_clients([client])

    response = api.get(ORDERS)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "API 密钥已被吊销，请在后台新建客户端获取新密钥。"


def test_a_missing_scope_is_403_naming_it(make_client, items):
    _client, reader = make_client(scopes=[Scope.ORDERS_READ])
    _client, stock_only = make_client(scopes=[Scope.STOCK_READ])

    refused = reader.post(ORDERS, order_body(), format="json")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["message"] == "此 API 客户端没有“推送、取消订单”权限（orders:write）。"
    assert stock_only.get(ORDERS).status_code == 403
    assert stock_only.get("/api/v1/stock/").status_code == 200
    assert reader.get("/api/v1/stock/").status_code == 403


def test_a_session_login_does_not_open_the_api(clerk_client):
    assert clerk_client.get(ORDERS).status_code == 401


def test_the_rate_limit_is_per_client_and_says_when_to_retry(make_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"client": "3/min"}}
    _busy, busy = make_client()
    _calm, calm = make_client()

    answers = [busy.get(ORDERS).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    limited = busy.get(ORDERS)
    assert re.fullmatch(
        r"请求过于频繁，超过了此客户端的限速，请 \d+ 秒后再试。", limited.json()["errors"][0]["message"]
    )
    assert int(limited["Retry-After"]) > 0
    assert calm.get(ORDERS).status_code == 200


def test_stock_lists_the_asked_skus(api, items):
    response = api.get("/api/v1/stock/", {"sku": "TEE-RED-M,MUG-01"})

    assert response.json() == [
        {"sku": "MUG-01", "name": "马克杯", "stock": 0, "in_stock": False},
        {"sku": "TEE-RED-M", "name": "红色T恤 M", "stock": 20, "in_stock": True},
    ]


def test_an_unknown_api_address_answers_json_404(api):
    response = api.get("/api/v2/nothing/")

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
