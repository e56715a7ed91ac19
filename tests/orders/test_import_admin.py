"""The admin's upload → preview → confirm flow, through the Django test client."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import StockMovement
from orders import services
from orders.models import Order, Parcel
from spreadsheets.formats import MAX_IMPORT_BYTES
from spreadsheets.resources import MAX_IMPORT_ROWS
from tests.factories import ItemFactory, OrderFactory, sf_number
from tests.importing import csv_bytes, db_snapshot, xlsx_bytes

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:orders_order_import")
CONFIRM = reverse("admin:orders_order_process_import")
HEADERS = ["订单号", "快递公司", "快递单号"]
TRACKING, ORDERS = "0", "1"


def upload(client, content, name="tracking.csv", resource=TRACKING):
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(IMPORT, {"resource": resource, "format": "0", "import_file": file})


def confirm(client, preview):
    return client.post(CONFIRM, preview.context["confirm_form"].initial)


def test_list_pages_link_to_each_import(clerk_client):
    html = clerk_client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert f'href="{IMPORT}?resource=0"' in html and "导入快递单号" in html
    assert f'href="{IMPORT}?resource=1"' in html and "导入订单" in html
    html = clerk_client.get(reverse("admin:inventory_inventoryitem_changelist")).content.decode()
    assert "盘点导入" in html


def test_import_page_is_in_chinese(clerk_client):
    response = clerk_client.get(IMPORT + "?resource=1")
    html = response.content.decode()
    assert response.context["form"].initial["resource"] == "1"
    assert "导入内容" in html and "选择文件" in html and "不超过 10 MB" in html
    # The file button and its "no file" text are ours, not the browser's (English in some browsers).
    assert '<label for="id_import_file" class="button file-picker-button">浏览…</label>' in html
    assert '<span class="file-picker-name" data-empty="未选择文件">未选择文件</span>' in html
    assert "spreadsheets/js/file_picker.js" in html
    assert "订单号, 用户ID, SKU, 数量, 收货人, 电话, 地址, 子订单号（可选）, 下单时间（可选）, 备注（可选）" in html


def test_preview_then_confirm_ships(clerk, clerk_client, ledger_is_consistent):
    order = OrderFactory(quantity=2)
    preview = upload(clerk_client, csv_bytes([HEADERS, [order.order_no, "顺丰", sf_number(1)]], "gbk"))
    html = preview.content.decode()
    assert preview.context["confirm_form"] is not None
    assert "将发货" in html and f"顺丰速运 {sf_number(1)}" in html and "确认导入" in html
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING  # the preview changed nothing

    response = confirm(clerk_client, preview)
    assert response.status_code == 302 and response.url == reverse("admin:orders_order_changelist")
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("导入完成：已发货 1 单，1 个包裹（顺丰速运 1 个）：订单 ")
    assert f">{order.order_no}</a>" in message and f"id__in={order.pk}" in message
    order.refresh_from_db()
    parcel = Parcel.objects.get(lines__line__order=order)
    assert (order.status, parcel.tracking_number, parcel.shipped_by) == ("shipped", sf_number(1), clerk)
    ledger_is_consistent()


def test_problems_are_listed_and_confirm_is_not_offered(clerk_client):
    item = ItemFactory(initial_stock=1)
    a, b = OrderFactory(item=item), OrderFactory(item=item)
    cancelled = services.cancel_order(OrderFactory(), user=None)
    other = OrderFactory()
    before = db_snapshot()
    rows = [
        [a.order_no, "SF", sf_number(1)],
        [b.order_no, "SF", sf_number(2)],
        ["X404", "顺丰", sf_number(3)],
        [cancelled.order_no, "SF", sf_number(4)],
        [other.order_no, "火星快递", "123"],
    ]
    preview = upload(clerk_client, csv_bytes([HEADERS, *rows], "utf-8-sig"))
    html = preview.content.decode()
    assert "confirm_form" not in preview.context or not preview.context["confirm_form"]
    assert "确认导入" not in html
    assert "未导入任何数据" in html
    for text in ("库存不足", "订单 X404 不存在", "当前为“已取消”，不能发货", "不认识快递公司“火星快递”"):
        assert text in html
    assert db_snapshot() == before


def test_confirm_is_refused_if_something_changed_after_the_preview(clerk_client):
    order = OrderFactory()
    preview = upload(clerk_client, csv_bytes([HEADERS, [order.order_no, "SF", sf_number(1)]]))
    services.cancel_order(order, user=None)  # someone else, between preview and confirm
    before = db_snapshot()
    response = confirm(clerk_client, preview)
    html = response.content.decode()
    assert response.status_code == 200
    assert "未导入：确认时发现了问题" in html and "当前为“已取消”，不能发货" in html
    assert db_snapshot() == before


def test_confirming_twice_is_refused_without_an_error_page(clerk_client):
    order = OrderFactory()
    preview = upload(clerk_client, csv_bytes([HEADERS, [order.order_no, "SF", sf_number(1)]]))
    confirm(clerk_client, preview)
    response = confirm(clerk_client, preview)
    assert response.status_code == 302
    assert "导入已失效" in str(list(get_messages(response.wsgi_request))[-1])
    assert StockMovement.objects.filter(reason="ship").count() == 1


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "a.csv", "文件是空的"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "photo.csv", "这不是表格文件"),
        (b"PK\x03\x04not really", "broken.xlsx", "Excel 文件已损坏"),
        ("订单号,快递单号\r\nT1,SF0000000000001\r\n".encode(), "a.csv", "文件缺少列：快递公司"),
        ("订单号,快递公司,快递单号\r\n".encode(), "a.csv", "文件中只有表头，没有数据行"),
    ],
)
def test_bad_files_get_a_clear_message(clerk_client, content, name, message):
    OrderFactory()
    before = db_snapshot()
    response = upload(clerk_client, content, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert db_snapshot() == before


def test_oversized_file(clerk_client):
    response = upload(clerk_client, b"a" * (MAX_IMPORT_BYTES + 1))
    assert "文件太大" in response.content.decode()


def test_too_many_rows_for_one_request(clerk_client):
    rows = [[f"T{n}", "SF", sf_number(n)] for n in range(MAX_IMPORT_ROWS + 1)]
    before = db_snapshot()
    response = upload(clerk_client, csv_bytes([HEADERS, *rows]))
    assert f"文件超过 {MAX_IMPORT_ROWS} 行数据，一次最多导入 {MAX_IMPORT_ROWS} 行。请拆分后分批导入。" in (
        response.content.decode()
    )
    assert "确认导入" not in response.content.decode()
    assert db_snapshot() == before


def test_order_import_from_xlsx(clerk_client):
    ItemFactory(sku="SKU-A")
    existing = OrderFactory(order_no="P1")
    rows = [
        ["订单号", "用户ID", "SKU", "数量", "收货人", "电话", "地址"],
        ["P1", "U1", "SKU-A", 1, "别人", "1", "某地"],
        ["P2", "U2", "SKU-A", 2, "王五", 13700000000, "杭州市西湖区"],
    ]
    file = SimpleUploadedFile("orders.xlsx", xlsx_bytes(rows))
    preview = clerk_client.post(IMPORT, {"resource": ORDERS, "format": "0", "import_file": file})
    html = preview.content.decode()
    assert "订单 P1 已存在，跳过（不会覆盖）" in html and "将新建" in html
    confirm(clerk_client, preview)
    assert Order.objects.get(order_no="P2").receiver_phone == "13700000000"
    existing.refresh_from_db()
    assert existing.receiver_name == "张三"


def test_stock_count_import(clerk_client, ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    file = SimpleUploadedFile("count.csv", csv_bytes([["SKU", "盘点库存"], [item.sku, 3]], "gbk"))
    url = reverse("admin:inventory_inventoryitem_import")
    preview = clerk_client.post(url, {"resource": "0", "format": "0", "import_file": file})
    assert "账面 5 件 → 盘点 3 件（-2）" in preview.content.decode()
    clerk_client.post(reverse("admin:inventory_inventoryitem_process_import"), preview.context["confirm_form"].initial)
    item.refresh_from_db()
    assert item.stock == 3
    ledger_is_consistent()


def test_import_needs_change_permission(client, django_user_model):
    staff = django_user_model.objects.create_user("viewer", password="pw-viewer-123", is_staff=True)
    client.force_login(staff)
    assert client.get(IMPORT).status_code == 403


def test_each_import_needs_its_own_permission(client, django_user_model):
    from django.contrib.auth.models import Permission

    clerk = django_user_model.objects.create_user("shipper", password="pw-shipper-123", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_order", "change_order"]))
    client.force_login(clerk)
    html = client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "导入快递单号" in html and "导入订单" not in html  # creating orders needs the add permission
    assert [label for _i, label in client.get(IMPORT).context["form"].fields["resource"].choices] == ["导入快递单号"]


def test_the_column_list_stays_after_a_refused_file(clerk_client):
    response = upload(clerk_client, b"")
    assert ("导入快递单号", ["订单号", "快递公司", "快递单号"]) in response.context["fields_list"]


# ---- 只发货没有问题的 N 行 (issue 16 point 4)


def partial_confirm(client, preview):
    return client.post(
        CONFIRM,
        {
            **preview.context["partial_form"].initial,
            "only_good_rows": "1",
            "expected_lines": preview.context["partial_lines"],
        },
    )


def file_with_three_bad_rows():
    good_a, good_b, ambiguous = OrderFactory(), OrderFactory(receiver_name="李四"), OrderFactory(receiver_name="王五")
    rows = [
        HEADERS,
        [good_a.order_no, "顺丰", sf_number(1)],
        ["X404", "顺丰", sf_number(3)],
        [good_b.order_no, "SF", sf_number(2)],
        [ambiguous.order_no, "顺丰", "12345"],
        [OrderFactory(receiver_name="赵六").order_no, "不存在的快递", "773194917396313"],
    ]
    return good_a, good_b, ambiguous, csv_bytes(rows)


def test_a_file_with_bad_rows_offers_to_ship_the_good_ones(clerk_client):
    _a, _b, _c, content = file_with_three_bad_rows()
    preview = upload(clerk_client, content)
    html = preview.content.decode()
    assert "confirm_form" not in preview.context  # all or nothing stays the default
    assert preview.context["partial_lines"] == "2,4"
    assert 'value="只发货没有问题的 2 行"' in html and "有问题的 3 行不处理" in html
    assert not Parcel.objects.exists()


def test_ship_the_good_rows_then_download_the_bad_ones(clerk_client, ledger_is_consistent):
    good_a, good_b, _c, content = file_with_three_bad_rows()
    preview = upload(clerk_client, content)

    response = partial_confirm(clerk_client, preview)

    assert response.status_code == 302
    assert set(Order.objects.filter(status="shipped")) == {good_a, good_b}
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert "已发货 2 单，2 个包裹（顺丰速运 2 个）" in message
    assert "另有 3 行有问题，未处理" in message and "下载这 3 行（CSV，含行号和原因）" in message
    download = clerk_client.get(reverse("admin:orders_order_import_left"))
    assert download["Content-Disposition"].lower().startswith("attachment; filename*=utf-8''")
    rows = download.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "原行号,订单号,快递公司,快递单号,问题"
    assert [row.split(",")[0] for row in rows[1:]] == ["3", "5", "6"]
    assert "订单 X404 不存在" in rows[1] and "顺丰单号为 SF 加 12–13 位数字" in rows[2]
    assert "不认识快递公司“不存在的快递”" in rows[3]
    ledger_is_consistent()


def test_a_good_row_shipped_meanwhile_refuses_the_whole_partial_confirm(clerk_client, ledger_is_consistent):
    good_a, good_b, _c, content = file_with_three_bad_rows()
    preview = upload(clerk_client, content)
    services.ship_order(good_b, _zto(), "70000000000001")  # another clerk, meanwhile

    response = partial_confirm(clerk_client, preview)

    assert response.status_code == 200 and response.context["confirm_refused"]
    html = response.content.decode()
    assert "未导入" in html and f"订单 {good_b.order_no} 已发货" in html
    good_a.refresh_from_db()
    assert good_a.status == "pending"  # never a partial of the partial
    ledger_is_consistent()


def _zto():
    from tests.factories import carrier

    return carrier("ZTO")


ORDER_HEADERS = ["订单号", "用户ID", "SKU", "数量", "收货人", "电话", "地址", "下单时间"]


def test_order_import_adds_the_good_orders_whole_and_leaves_an_order_with_a_bad_row(clerk_client):
    ItemFactory(sku="SKU-TEA")
    receiver = ["李四", "13900000000", "北京市朝阳区"]
    rows = [
        ORDER_HEADERS,
        ["N1", "U1", "SKU-TEA", "1", *receiver, "2025-01-02 10:00"],
        ["N2", "U2", "SKU-TEA", "1", *receiver, ""],
        ["N2", "U2", "SKU-NONE", "1", *receiver, ""],  # N2's second line: no such SKU
        ["N3", "U3", "SKU-TEA", "1", *receiver, "昨天"],
    ]
    preview = upload(clerk_client, csv_bytes(rows), name="orders.csv", resource=ORDERS)
    assert "confirm_form" not in preview.context
    assert preview.context["partial_lines"] == "2"  # N2's good row is not offered without its other line
    assert 'value="只导入没有问题的 1 行"' in preview.content.decode()

    response = partial_confirm(clerk_client, preview)

    assert response.status_code == 302
    assert list(Order.objects.values_list("order_no", flat=True)) == ["N1"]
    assert Order.objects.get().lines.count() == 1
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("导入完成：已新建 1 行，有问题，未导入 3 行。") and "下载这 3 行" in message
    rows = clerk_client.get(reverse("admin:orders_order_import_left")).content.decode("utf-8-sig").splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["3", "4", "5"]
    assert "订单 N2 的第 4 行有问题，整单不导入" in rows[1] and "SKU（商家编码）SKU-NONE 没有对应的库存商品" in rows[2]
    assert "下单时间“昨天”无法识别" in rows[3]


def test_order_import_partial_is_refused_when_an_order_was_added_meanwhile(clerk_client):
    ItemFactory(sku="SKU-TEA")
    receiver = ["李四", "13900000000", "北京市朝阳区"]
    rows = [ORDER_HEADERS, ["N1", "U1", "SKU-TEA", "1", *receiver, ""], ["N2", "U2", "SKU-NONE", "1", *receiver, ""]]
    preview = upload(clerk_client, csv_bytes(rows), name="orders.csv", resource=ORDERS)
    OrderFactory(order_no="N1")  # another clerk imported N1 meanwhile: it would now be skipped

    response = partial_confirm(clerk_client, preview)

    assert response.status_code == 200 and response.context["confirm_refused"]
    assert "预览时本行可以导入，现在：订单 N1 已存在，跳过（不会覆盖）。" in response.content.decode()
    assert Order.objects.count() == 1


def test_the_preview_shows_the_files_text_escaped(clerk_client):
    # DESIGN.md rule 7: the preview's rows are built in Python (spreadsheets/templatetags/import_report.py).
    ItemFactory(sku="SKU-A")
    rows = [
        ["订单号", "用户ID", "SKU", "数量", "收货人", "电话", "地址"],
        ["X1", "U1", "SKU-A", 1, "<script>alert(1)</script>", "13700000000", '杭州市"<b>西湖</b>'],
        ["X2", "U2", "SKU-NONE", 1, "李四", "13700000001", "<img src=x onerror=alert(2)>"],
    ]
    html = upload(clerk_client, csv_bytes(rows), name="orders.csv", resource=ORDERS).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>西湖</b>" not in html
