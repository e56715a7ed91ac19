"""The e-waybill password is write-only, and a courier's label link is http(s) or nothing."""

import pytest
from django.contrib import admin
from django.urls import reverse

from logistics.models import Sender, Waybill
from tests.factories import carrier

pytestmark = pytest.mark.django_db

SECRET = "pk-Very-Secret-42"


@pytest.fixture
def sender_with_key(db):
    return Sender.objects.create(
        name="王店长",
        phone="13900139000",
        address="浙江省杭州市余杭区文一西路 969 号",
        default_carrier=carrier("SF"),
        partner_id="P1",
        partner_key=SECRET,
    )


def sender_form(sender, **changes):
    data = {
        "name": sender.name,
        "phone": sender.phone,
        "address": sender.address,
        "default_carrier": sender.default_carrier_id,
        "partner_id": sender.partner_id,
        "partner_key": "",
        "template_id": "",
        "label_size": sender.label_size,
        "ship_mode": sender.ship_mode,
    }
    data.update(changes)
    return data


def change_url(sender):
    return reverse("admin:logistics_sender_change", args=[sender.pk])


def test_the_password_is_never_shown_to_a_manager(configured, manager_client, sender_with_key):
    content = manager_client.get(change_url(sender_with_key)).content.decode()
    assert SECRET not in content
    assert "已设置" in content


def test_the_password_is_never_shown_to_an_admin(configured, clerk_client, sender_with_key):
    response = clerk_client.get(change_url(sender_with_key))
    assert response.status_code == 200
    assert SECRET not in response.content.decode()


def test_blank_keeps_the_password_a_new_one_replaces_it_and_clear_clears_it(configured, clerk_client, sender_with_key):
    url = change_url(sender_with_key)
    assert clerk_client.post(url, sender_form(sender_with_key)).status_code == 302
    assert Sender.objects.get().partner_key == SECRET
    assert clerk_client.post(url, sender_form(sender_with_key, partner_key="new-key")).status_code == 302
    assert Sender.objects.get().partner_key == "new-key"
    assert clerk_client.post(url, sender_form(sender_with_key, clear_partner_key="on")).status_code == 302
    assert Sender.objects.get().partner_key == ""


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "data:text/html,x", " javascript:alert(1)"])
def test_a_label_link_that_is_not_http_is_not_clickable(url):
    assert admin.site._registry[Waybill].label(Waybill(label_url=url)) == "-"


def test_an_http_label_link_is_clickable():
    assert 'href="https://api.kuaidi100.com/label/X.png"' in admin.site._registry[Waybill].label(
        Waybill(label_url="https://api.kuaidi100.com/label/X.png")
    )


def test_the_sender_form_names_its_fields_in_chinese(configured, clerk_client):
    page = clerk_client.get("/admin/logistics/sender/add/").content.decode()
    assert "电子面单账号" in page and "电子面单密码" in page and "面单模板ID" in page
    for api_name in ("partnerId", "partnerKey", "tempId"):
        assert api_name not in page
