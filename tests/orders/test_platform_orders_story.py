"""Issue 17's "done when", as one clerk (运营) does it: import a 抖店 export as downloaded, map its two
unknown 商家编码 in the preview, ship (two orders of one receiver in one parcel), download the day's
发货回传 file; then add a WeChat order by pasting one message."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.models import Order, Parcel, Shop
from orders.selectors import default_shop
from tests.factories import ItemFactory, ShopFactory, carrier, sf_number
from tests.orders.test_chat_orders import confirm_data
from tests.orders.test_platform_import import CONFIRM, upload
from tests.orders.test_sku_mapping import MAP_CODES, map_post
from tests.platform_samples import SampleLine, SampleOrder, doudian
from tests.role_fixtures import staff_in

pytestmark = pytest.mark.django_db


def test_a_clerk_imports_maps_ships_sends_the_numbers_back_and_pastes_a_chat_order(client, django_user_model):
    ops_user = staff_in(django_user_model, "ops", "运营")  # a new clerk in the ops role, not a superuser
    client.force_login(ops_user)
    ops_client = client
    shop = ShopFactory(name="抖音小店", platform=Shop.Platform.DOUDIAN)
    cup = ItemFactory(sku="CUP-500", name="保温杯 500ml", initial_stock=20)
    mug = ItemFactory(sku="MUG-CER", name="陶瓷马克杯", initial_stock=20)
    export = doudian(
        [
            SampleOrder("6901", [SampleLine("DY-CUP", 1, "保温杯"), SampleLine("DY-MUG", 2, "马克杯")]),
            SampleOrder("6902", [SampleLine("DY-CUP", 1, "保温杯")]),  # the same receiver as 6901
            SampleOrder("6903", [SampleLine("CUP-500", 1, "保温杯")], name="李四", phone="13900000002"),
        ]
    )

    preview = upload(ops_client, export)
    result = preview.context["result"]
    assert [code for code, _found in result.unknown_codes] == ["DY-CUP", "DY-MUG"]
    assert preview.context.get("confirm_form") is None  # nothing imports while codes are unknown
    mapped = ops_client.post(
        MAP_CODES, map_post(shop, [("DY-CUP", [(cup, "1")]), ("DY-MUG", [(mug, "1")])], preview.context["recheck_url"])
    )
    again = ops_client.get(mapped.url)  # back to the preview, the file not uploaded again
    assert again.context["result"].unknown_codes == [] and again.context["confirm_form"] is not None
    ops_client.post(CONFIRM, again.context["confirm_form"].initial)
    first, second, third = (Order.objects.get(shop=shop, order_no=no) for no in ("6901", "6902", "6903"))
    assert sorted(first.lines.values_list("item__sku", "quantity")) == [("CUP-500", 1), ("MUG-CER", 2)]

    services.ship_orders(
        [
            (first, carrier("SF"), sf_number(1)),
            (second, carrier("SF"), sf_number(1)),
            (third, carrier("ZTO"), "78600000000001"),
        ],
        user=ops_user,
    )
    merged = Parcel.objects.get(tracking_number=sf_number(1))
    assert sorted(merged.lines.values_list("line__order__order_no", flat=True)) == ["6901", "6901", "6902"]

    today = timezone.localdate().isoformat()
    response = ops_client.post(
        f"{reverse('admin:orders_order_batch_ship')}?shop={shop.pk}&date_from={today}&date_to={today}",
        {"shop": shop.pk, "date_from": today, "date_to": today, "only_unexported": "on"},
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["主订单编号", "子订单编号", "快递公司", "快递单号"],
        ["6901", None, "顺丰速运", sf_number(1)],
        ["6902", None, "顺丰速运", sf_number(1)],
        ["6903", None, "中通快递", "78600000000001"],
    ]

    chat = reverse("admin:orders_order_add_from_message")
    page = ops_client.post(
        chat, {"message": "王五 13700137000 浙江省杭州市西湖区文三路1号 陶瓷马克杯 2件", "_parse": "识别"}
    )
    data = confirm_data(page)
    data["shop"] = default_shop().pk  # the shop's own WeChat sales
    ops_client.post(chat, data)
    pasted = Order.objects.get(receiver_name="王五")
    assert (pasted.province, pasted.city, pasted.district) == ("浙江省", "杭州市", "西湖区")
    assert list(pasted.lines.values_list("item__sku", "quantity")) == [("MUG-CER", 2)]
