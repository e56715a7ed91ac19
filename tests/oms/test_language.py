import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_admin_stays_chinese_for_an_english_browser(clerk_client):
    html = clerk_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "欢迎" in html and "Welcome" not in html
