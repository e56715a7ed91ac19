"""A held order (挂起) ships from no path until released: one test per shipping path (issue 19 审单).

Each path reaches services.check_shipments; these tests prove that each really does, through the
path's own entry point (the page, the desk, the file), and that nothing was written.
"""

from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from orders import services
from orders.desk.paste import apply_paste, preview_paste
from orders.desk.scan import handle_scan
from orders.models import OrderHold, Parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.importing import csv_bytes, db_snapshot
from tests.orders.test_admin_list import row_post

pytestmark = pytest.mark.django_db

HELD = "订单 H001 已挂起（地址异常：门牌号缺失），请先在订单页解除挂起。"


@pytest.fixture
def held(clerk):
    order = OrderFactory(order_no="H001", item=ItemFactory(initial_stock=10), quantity=2)
    services.hold_order(order, OrderHold.Reason.ADDRESS, note="门牌号缺失", user=clerk)
    return order


def shipped_nothing():
    return not Parcel.objects.exists()


def test_held_message_is_the_one_wording(held):
    review = services.check_shipments([services.Shipment(carrier("SF"), sf_number(1), [(held.lines.get(), 2)])])
    assert review.messages() == [HELD]


def test_list_save_refuses_a_held_order(clerk_client, held):
    url = reverse("admin:orders_order_changelist")
    response = clerk_client.post(url, row_post(clerk_client, held, sf_number(1)), follow=True)
    assert HELD in response.content.decode()
    assert shipped_nothing()


def test_order_page_ship_part_refuses_a_held_order(clerk_client, held):
    url = reverse("admin:orders_order_ship_part", args=[held.pk])
    response = clerk_client.post(url, {f"line_{held.lines.get().pk}": 1, "tracking_number": sf_number(1)})
    assert response.status_code == 200 and HELD in response.content.decode()
    assert shipped_nothing()


def test_scan_desk_refuses_a_held_order(clerk, held):
    result = handle_scan(sf_number(1), current=held, user=clerk)
    assert result.kind != "shipped" and HELD in result.message
    assert shipped_nothing()


def test_paste_back_refuses_a_held_order(clerk, held):
    (line,) = preview_paste(f"H001 {sf_number(1)}")
    assert line.problems == [HELD]
    lines, parcels = apply_paste(f"H001 {sf_number(1)}", user=clerk)
    assert parcels == [] and lines[0].problems == [HELD]
    assert shipped_nothing()


def test_tracking_import_refuses_a_held_order(clerk_client, held):
    content = csv_bytes([["订单号", "快递公司", "快递单号"], ["H001", "顺丰", sf_number(1)]], "utf-8-sig")
    file = SimpleUploadedFile("tracking.csv", content, content_type="text/csv")
    data = {"resource": "0", "format": "0", "import_file": file}
    preview = clerk_client.post(reverse("admin:orders_order_import"), data)
    html = preview.content.decode()
    assert HELD in html and "确认导入" not in html
    assert shipped_nothing()


def test_import_tracking_command_refuses_a_held_order(tmp_path, held):
    path = tmp_path / "tracking.csv"
    path.write_bytes(csv_bytes([["订单号", "快递公司", "快递单号"], ["H001", "SF", sf_number(1)]], "utf-8"))
    before = db_snapshot()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="发现 1 个问题，未导入任何数据"):
        call_command("import_tracking", str(path), stdout=out, stderr=err)
    assert f"第 2 行：{HELD}" in err.getvalue() + out.getvalue()
    assert db_snapshot() == before


def test_merge_ship_refuses_a_held_order(clerk_client, held):
    other = OrderFactory(order_no="H002")  # same receiver, not held
    response = clerk_client.post(
        reverse("admin:orders_order_changelist") + "?ship_status=all",
        {
            "action": "merge_ship",
            ACTION_CHECKBOX_NAME: [held.pk, other.pk],
            "apply": "1",
            "carrier": carrier("SF").pk,
            "tracking_number": sf_number(1),
        },
        follow=True,
    )
    assert HELD in response.content.decode()
    assert shipped_nothing()


def test_ship_services_refuse_a_held_order_until_released(clerk, held):
    with pytest.raises(services.ShipmentRefused) as refused:
        services.ship_order(held, carrier("SF"), sf_number(1), user=clerk)
    assert services.error_messages(refused.value) == [HELD]
    with pytest.raises(services.ShipmentRefused):
        services.ship_parcel([(held.lines.get(), 1)], carrier("SF"), sf_number(1), user=clerk)
    assert shipped_nothing()

    services.release_holds(held, user=clerk)
    parcel = services.ship_order(held, carrier("SF"), sf_number(1), user=clerk)
    assert parcel.lines.get().quantity == 2
