import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts.security import client_ip

pytestmark = pytest.mark.django_db
LOGIN = reverse("admin:login")


def attempt(client, username, password, ip="127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


def test_account_is_locked_after_five_wrong_passwords_with_a_chinese_page(client, clerk, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert attempt(client, "clerk", "wrong").status_code == 200

    locked = attempt(client, "clerk", "wrong")

    html = locked.content.decode()
    assert locked.status_code == 429
    assert "登录已暂时锁定" in html and "连续 5 次登录失败" in html and "15 分钟后再试" in html
    # Even the right password is refused during the lockout.
    assert attempt(client, "clerk", "pw-clerk-123").status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_username_and_ip(client, clerk, django_user_model):
    django_user_model.objects.create_user("colleague", password="pw-colleague-123", is_staff=True)
    for _ in range(5):
        attempt(client, "clerk", "wrong")

    assert attempt(client, "colleague", "pw-colleague-123").status_code == 302
    client.logout()
    assert attempt(client, "clerk", "pw-clerk-123", ip="10.0.0.9").status_code == 302


def test_successful_login_resets_the_count(client, clerk):
    for _ in range(4):
        attempt(client, "clerk", "wrong")
    assert attempt(client, "clerk", "pw-clerk-123").status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "clerk", "wrong").status_code == 200


def test_client_ip_trusts_only_the_configured_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.OMS_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "127.0.0.1"
    settings.OMS_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # nginx's entry, not the forgeable one on the left
    settings.OMS_TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "127.0.0.1"
