"""A carrier's tracking link is an http(s) address or nothing: never javascript: in an href."""

import pytest
from django.urls import reverse

from orders.links import is_web_address, web_address
from orders.models import Carrier

NOT_WEB = [
    "javascript:alert(document.cookie)//{number}",
    "JavaScript:alert(1)//{number}",
    " javascript:alert(1)//{number}",
    "java\tscript:alert(1)//{number}",
    "\x01javascript:alert(1)//{number}",
    "data:text/html,<script>alert(1)</script>{number}",
    "vbscript:msgbox({number})",
    "//evil.example.com/{number}",
    "/track/{number}",
    "https:///{number}",
]
WEB = [
    "https://www.sf-express.com/track?no={number}",
    "http://www.zto.com/?num={number}",
    "HTTPS://Example.com/{number}",
]


@pytest.mark.parametrize("template", NOT_WEB)
def test_only_http_and_https_are_web_addresses(template):
    assert not is_web_address(template.replace("{number}", "SF1"))
    assert web_address(template.replace("{number}", "SF1")) == ""


@pytest.mark.parametrize("template", WEB)
def test_http_and_https_addresses_are_kept(template):
    url = template.replace("{number}", "SF1")
    assert web_address(url) == url


@pytest.mark.parametrize("template", NOT_WEB)
def test_a_stored_non_web_template_gives_no_link(template):
    carrier = Carrier(name="快递", code="X", tracking_url_template=template)
    assert carrier.tracking_url("SF0000000000001") == ""


def test_a_web_template_gives_its_link():
    carrier = Carrier(name="顺丰", code="X", tracking_url_template=WEB[0])
    assert carrier.tracking_url("SF0000000000001") == "https://www.sf-express.com/track?no=SF0000000000001"


@pytest.mark.django_db
@pytest.mark.parametrize("template", NOT_WEB[:3] + NOT_WEB[5:7])
def test_the_carrier_form_refuses_a_non_web_template_in_chinese(clerk_client, template):
    response = clerk_client.post(
        reverse("admin:orders_carrier_add"),
        {"name": "坏快递", "code": "BAD", "tracking_url_template": template, "sort_order": 100, "is_active": "on"},
    )
    assert response.status_code == 200
    assert "网址必须以 http:// 或 https:// 开头。" in response.content.decode()
    assert not Carrier.objects.filter(code="BAD").exists()


@pytest.mark.django_db
def test_the_carrier_form_accepts_a_web_template(clerk_client):
    response = clerk_client.post(
        reverse("admin:orders_carrier_add"),
        {"name": "好快递", "code": "GOOD", "tracking_url_template": WEB[0], "sort_order": 100, "is_active": "on"},
    )
    assert response.status_code == 302
    assert Carrier.objects.get(code="GOOD").tracking_url_template == WEB[0]
