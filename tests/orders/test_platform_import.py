"""导入订单 with platform exports as downloaded: upload, preview and confirm on the real admin page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders.models import Order, Shop
from tests.factories import ItemFactory, ShopFactory
from tests.platform_samples import WRITERS, SampleLine, SampleOrder

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:orders_order_import")
CONFIRM = reverse("admin:orders_order_process_import")
ORDERS = "1"


def upload(client, files, *, platform="", shop=None, resource=ORDERS):
    uploads = [SimpleUploadedFile(name, content) for name, content in files]
    data = {"resource": resource, "format": "0", "import_file": uploads, "platform": platform}
    if shop is not None:
        data["shop"] = shop.pk
    return client.post(IMPORT, data)


def confirm(client, preview):
    return client.post(CONFIRM, preview.context["confirm_form"].initial)


def page_problems(response):
    result = response.context["result"]
    return result.problem_lines if result is not None else response.context["form"].errors


def test_doudian_smoke(clerk_client):
    shop = ShopFactory(platform=Shop.Platform.DOUDIAN, name="抖店旗舰店")
    a, b = ItemFactory(sku="DY-A"), ItemFactory(sku="DY-B")
    orders = [
        SampleOrder("6900000000000001", [SampleLine("DY-A", 2)]),
        SampleOrder("6900000000000002", [SampleLine("DY-A", 1), SampleLine("DY-B", 3)], buyer_message="快点发"),
    ]
    preview = upload(clerk_client, WRITERS["doudian"](orders))
    assert preview.status_code == 200
    print(page_problems(preview))
    assert preview.context["confirm_form"] is not None
    response = confirm(clerk_client, preview)
    assert response.status_code == 302
    first = Order.objects.get(order_no="6900000000000001")
    assert first.shop == shop and first.province == "上海市"
    second = Order.objects.get(order_no="6900000000000002")
    assert [(l.item.sku, l.quantity, l.sub_order_no) for l in second.lines.order_by("pk")] == [
        ("DY-A", 1, "69000000000000021"),
        ("DY-B", 3, "69000000000000022"),
    ]
    assert second.note == "买家留言：快点发"
