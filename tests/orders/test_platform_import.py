"""导入订单 with platform exports as downloaded: upload, preview and confirm on the real admin page."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orders import services
from orders.models import Order, OrderHold, Shop
from tests.factories import ItemFactory, ShopFactory
from tests.importing import csv_bytes, db_snapshot
from tests.platform_samples import WRITERS, SampleLine, SampleOrder

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:orders_order_import")
CONFIRM = reverse("admin:orders_order_process_import")
TRACKING, ORDERS = "0", "1"
P = Shop.Platform


def upload(client, files, *, platform="", shop=None, resource=ORDERS):
    uploads = [SimpleUploadedFile(name, content) for name, content in files]
    data = {"resource": resource, "format": "0", "import_file": uploads, "platform": platform}
    if shop is not None:
        data["shop"] = shop.pk
    return client.post(IMPORT, data)


def confirm(client, preview):
    return client.post(CONFIRM, preview.context["confirm_form"].initial)


def refusal(response):
    """The Chinese messages a refused upload shows: the form's, else the file's problems."""
    form_errors = [e for errors in response.context["form"].errors.values() for e in errors]
    result = response.context.get("result")
    return form_errors + (result.problem_lines if result is not None else [])


def lines_of(order_no):
    order = Order.objects.get(order_no=order_no)
    return [(line.item.sku, line.quantity, line.sub_order_no) for line in order.lines.order_by("pk")]


@pytest.fixture
def stock():
    return {sku: ItemFactory(sku=sku, name=f"商品{sku}", initial_stock=50) for sku in ("A-1", "B-2", "BOX-3")}


def sample_orders(prefix, *, one_line=False, masked=False):
    """The orders every platform's sample has: one line, several lines (unless one_line), a bundle
    code, a refunded line, an unpaid order and a closed one."""
    orders = [
        SampleOrder(
            f"{prefix}001", [SampleLine("A-1", 2, "蓝色水杯")], buyer_message="请尽快发货", seller_note="送贴纸"
        ),
        SampleOrder(f"{prefix}004", [SampleLine("BOX-3", 1, "礼盒组合装")], name="王五", phone="13900000004"),
        SampleOrder(f"{prefix}005", [SampleLine("A-1", 1)], status="等待买家付款"),
        SampleOrder(f"{prefix}006", [SampleLine("A-1", 1)], status="交易关闭"),
    ]
    if not one_line:
        orders.append(
            SampleOrder(
                f"{prefix}002",
                [SampleLine("A-1", 1, "蓝色水杯"), SampleLine("B-2", 3, "红色杯盖")],
                name="李四",
                phone="13900000002",
            )
        )
    if masked:
        orders.append(SampleOrder(f"{prefix}003", [SampleLine("B-2", 1)], masked=True))
    return orders


# Each platform: its shop, what its export names, and whether its sample has several lines per order.
PLATFORMS = [
    (P.DOUDIAN, "690000", False),
    (P.TAOBAO, "293847561029", False),
    (P.PINDUODUO, "231201-", True),
    (P.JD, "30001", False),
    (P.YOUZAN, "E2026", False),
    (P.WECHAT, "37000", False),
    (P.ALI1688, "16880", False),
]


@pytest.mark.parametrize(("platform", "prefix", "one_line"), PLATFORMS)
def test_each_platform_export_imports_end_to_end(clerk_client, stock, platform, prefix, one_line):
    shop = ShopFactory(platform=platform, name=f"{P(platform).label}店")
    files = WRITERS[platform](sample_orders(prefix, one_line=one_line))
    preview = upload(clerk_client, files)
    assert preview.context["confirm_form"] is not None, refusal(preview)
    html = preview.content.decode()
    assert f"识别为：<strong>{P(platform).label}" in html and shop.name in html
    assert "未付款" in html and "交易关闭" in html  # skipped orders listed with the reason
    assert not Order.objects.filter(shop=shop).exists()  # the preview changed nothing

    response = confirm(clerk_client, preview)
    assert response.status_code == 302, refusal(response)
    assert lines_of(f"{prefix}001") == [("A-1", 2, lines_of(f"{prefix}001")[0][2])]
    first = Order.objects.get(order_no=f"{prefix}001")
    assert first.shop == shop and first.status == Order.Status.PENDING
    assert first.created_at.isoformat().startswith("2026-11-30T02:15")  # 10:15 in Shanghai
    assert "请尽快发货" in first.note or platform == P.ALI1688  # its (partial) header has no 买家留言
    if platform != P.PINDUODUO:
        assert (first.receiver_name, first.receiver_phone) == ("张三", "13800000001")
        assert "张杨路 100 号" in first.address and first.address.startswith("上海")
    assert not first.receiver_encrypted or platform == P.PINDUODUO
    if not one_line:
        assert [sku for sku, _q, _s in lines_of(f"{prefix}002")] == ["A-1", "B-2"]
        assert Order.objects.get(order_no=f"{prefix}002").receiver_name == "李四"
    assert not Order.objects.filter(order_no__in=[f"{prefix}005", f"{prefix}006"]).exists()


def test_doudian_sub_orders_remarks_region_and_ship_by(clerk_client, stock):
    shop = ShopFactory(platform=P.DOUDIAN)
    orders = [
        SampleOrder("6901", [SampleLine("A-1", 1), SampleLine("B-2", 2)], ship_by="2026-12-31 18:00:00",
                    buyer_message="不要发圆通", seller_note="已备注"),
        SampleOrder("6902", [SampleLine("A-1", 1)]),
    ]  # fmt: skip
    confirm(clerk_client, upload(clerk_client, WRITERS[P.DOUDIAN](orders), shop=shop))
    assert lines_of("6901") == [("A-1", 1, "69011"), ("B-2", 2, "69012")]
    assert lines_of("6902") == [("A-1", 1, "6902")]  # one item: 子订单编号 == 主订单编号
    order = Order.objects.get(order_no="6901")
    assert order.note == "买家留言：不要发圆通；商家备注：已备注"
    assert (order.province, order.city, order.district) == ("上海市", "上海市", "浦东新区")
    assert order.address == "上海市浦东新区张杨路 100 号"
    assert order.ship_by.isoformat() == "2026-12-31T10:00:00+00:00"
    assert order.lines.first().platform_code == "A-1"


def test_bundle_code_becomes_a_line_per_component(clerk_client, stock):
    shop = ShopFactory(platform=P.DOUDIAN)
    services.map_platform_code(shop, "GIFT-BOX", [(stock["A-1"], 2), (stock["B-2"], 1)])
    orders = [SampleOrder("6910", [SampleLine("GIFT-BOX", 3, "礼盒组合装")])]
    confirm(clerk_client, upload(clerk_client, WRITERS[P.DOUDIAN](orders)))
    # 3 boxes of (2 × A-1 + 1 × B-2): a line per component, each keeping the platform's code.
    assert lines_of("6910") == [("A-1", 6, "6910"), ("B-2", 3, "6910")]
    assert set(Order.objects.get(order_no="6910").lines.values_list("platform_code", flat=True)) == {"GIFT-BOX"}


def test_a_mapping_wins_over_an_item_of_the_same_sku(clerk_client, stock):
    shop = ShopFactory(platform=P.DOUDIAN)
    services.map_platform_code(shop, "BOX-3", [(stock["A-1"], 1)])  # this shop sells BOX-3 as one A-1
    confirm(clerk_client, upload(clerk_client, WRITERS[P.DOUDIAN]([SampleOrder("6911", [SampleLine("BOX-3", 2)])])))
    assert lines_of("6911") == [("A-1", 2, "6911")]


def test_masked_receiver_imports_as_platform_encrypted(clerk_client, stock):
    ShopFactory(platform=P.PINDUODUO)
    orders = [SampleOrder("231201-003", [SampleLine("B-2", 1)], masked=True)]
    preview = upload(clerk_client, WRITERS[P.PINDUODUO](orders))
    assert preview.context["confirm_form"] is not None, refusal(preview)
    assert "平台加密" in preview.content.decode()
    confirm(clerk_client, preview)
    order = Order.objects.get(order_no="231201-003")
    assert order.receiver_encrypted
    assert (order.receiver_name, order.receiver_phone) == ("平台加密", "平台加密")
    assert order.province == "" and order.address == "上海市浦东新区（平台加密）"


def test_doudian_masked_fields_keep_what_is_there(clerk_client, stock):
    ShopFactory(platform=P.DOUDIAN)
    orders = [SampleOrder("6920", [SampleLine("A-1", 1)], masked=True)]
    confirm(clerk_client, upload(clerk_client, WRITERS[P.DOUDIAN](orders)))
    order = Order.objects.get(order_no="6920")
    assert order.receiver_encrypted and order.receiver_name == "张**"
    assert order.receiver_phone == "138****0001" and order.address.endswith("（平台加密）")


def test_unknown_codes_are_listed_with_their_rows_and_names(clerk_client, stock):
    ShopFactory(platform=P.DOUDIAN)
    before = db_snapshot()
    orders = [
        SampleOrder("6930", [SampleLine("A-1", 1), SampleLine("NEW-9", 1, "新款保温杯")]),
        SampleOrder("6931", [SampleLine("NEW-9", 2, "新款保温杯")]),
        SampleOrder("6932", [SampleLine("NEW-8", 1, "旅行杯")]),
    ]
    preview = upload(clerk_client, WRITERS[P.DOUDIAN](orders))
    assert preview.context.get("confirm_form") is None
    result = preview.context["result"]
    assert result.unknown_codes == [
        ("NEW-8", {"lines": [5], "names": ["旅行杯"]}),
        ("NEW-9", {"lines": [3, 4], "names": ["新款保温杯"]}),
    ]
    html = preview.content.decode()
    assert "没有对应库存商品的商家编码（2 个）" in html and "第 3、4 行" in html and "新款保温杯" in html
    assert 'id="import-recheck"' in html
    assert db_snapshot() == before


def test_recheck_previews_the_kept_upload_again(clerk_client, stock):
    ShopFactory(platform=P.DOUDIAN)
    orders = [SampleOrder("6940", [SampleLine("NEW-9", 2, "新款保温杯")])]
    preview = upload(clerk_client, WRITERS[P.DOUDIAN](orders))
    recheck = preview.context["recheck_url"]
    assert "import_file_name=" in recheck and "/" not in re.search(r"import_file_name=([^&]*)", recheck)[1]
    ItemFactory(sku="NEW-9")  # the stand-in mapping: an item whose SKU is the code
    again = clerk_client.get(recheck)
    assert again.context["confirm_form"] is not None, refusal(again)
    assert again.context["result"].unknown_codes == []
    response = confirm(clerk_client, again)
    assert response.status_code == 302
    assert lines_of("6940") == [("NEW-9", 2, "6940")]
    # The upload is gone once confirmed; a recheck then says so.
    gone = clerk_client.get(recheck)
    assert gone.status_code == 302
    assert "导入已失效" in [str(m) for m in get_messages(gone.wsgi_request)][-1]


def test_recheck_refuses_a_path_for_the_upload_name(clerk_client):
    response = clerk_client.get(reverse("admin:orders_order_recheck"), {
        "import_file_name": "../../etc/passwd", "original_file_name": "x.csv", "format": "0", "resource": ORDERS,
    })  # fmt: skip
    assert response.status_code == 302


def test_the_same_file_twice_adds_nothing(clerk_client, stock):
    ShopFactory(platform=P.DOUDIAN)
    files = WRITERS[P.DOUDIAN](sample_orders("6950"))
    confirm(clerk_client, upload(clerk_client, files))
    before = db_snapshot()
    second = upload(clerk_client, files)
    html = second.content.decode()
    assert "文件中的订单都已在系统中（3 单）" in html
    assert "6950001、6950002、6950004" in html
    confirm(clerk_client, second)
    assert db_snapshot() == before


def test_refund_on_an_order_already_here_is_flagged_then_held(clerk_client, stock):
    shop = ShopFactory(platform=P.DOUDIAN)
    files = WRITERS[P.DOUDIAN]([SampleOrder("6960", [SampleLine("A-1", 1), SampleLine("B-2", 1)])])
    confirm(clerk_client, upload(clerk_client, files))
    order = Order.objects.get(order_no="6960")
    lines_before = lines_of("6960")
    refunded = [SampleOrder("6960", [SampleLine("A-1", 1), SampleLine("B-2", 1, after_sales="未发货仅退款")])]
    preview = upload(clerk_client, WRITERS[P.DOUDIAN](refunded))
    html = preview.content.decode()
    assert "平台显示退款或关闭的已有订单（1 单）" in html and "未发货仅退款" in html
    assert not order.holds.exists()  # flagged, not acted on yet
    response = confirm(clerk_client, preview)
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.endswith("平台显示退款或关闭的 1 个已有订单已挂起（退款中）：6960。")
    (hold,) = order.holds.all()
    assert hold.reason == OrderHold.Reason.REFUND and "未发货仅退款" in hold.note
    assert lines_of("6960") == lines_before  # never silently changed
    # Held orders ship from nowhere; importing again does not hold twice.
    again = upload(clerk_client, WRITERS[P.DOUDIAN](refunded))
    assert "已因退款挂起" in again.content.decode()
    assert order.holds.count() == 1
    assert shop.orders.count() == 1


def test_refund_on_a_shipped_order_is_only_skipped(clerk_client, stock):
    ShopFactory(platform=P.TAOBAO)
    files = WRITERS[P.TAOBAO]([SampleOrder("2938001", [SampleLine("A-1", 1)])])
    confirm(clerk_client, upload(clerk_client, files))
    order = Order.objects.get(order_no="2938001")
    services.cancel_order(order)
    refunded = WRITERS[P.TAOBAO]([SampleOrder("2938001", [SampleLine("A-1", 1, after_sales="退款成功")])])
    preview = upload(clerk_client, refunded)
    assert "已存在，跳过" in preview.content.decode()
    confirm(clerk_client, preview)
    assert not order.holds.exists()


def test_refunded_line_of_a_new_order_is_left_out(clerk_client, stock):
    ShopFactory(platform=P.DOUDIAN)
    orders = [SampleOrder("6970", [SampleLine("A-1", 1), SampleLine("B-2", 1, after_sales="未发货仅退款")])]
    preview = upload(clerk_client, WRITERS[P.DOUDIAN](orders))
    assert "平台显示售后“未发货仅退款”，本行不导入" in preview.content.decode()
    confirm(clerk_client, preview)
    assert [sku for sku, _q, _s in lines_of("6970")] == ["A-1"]


def test_taobao_two_files_in_one_upload(clerk_client, stock):
    ShopFactory(platform=P.TAOBAO)
    orders = [SampleOrder("2938475610293847", [SampleLine("A-1", 1), SampleLine("B-2", 2)], name="赵六")]
    preview = upload(clerk_client, WRITERS[P.TAOBAO](orders))
    assert "淘宝/天猫订单报表＋淘宝/天猫宝贝报表" in preview.content.decode()
    confirm(clerk_client, preview)
    order = Order.objects.get(order_no="2938475610293847")  # ="…" unwrapped, every digit kept
    assert [sku for sku, _q, _s in lines_of(order.order_no)] == ["A-1", "B-2"]
    assert (order.receiver_name, order.receiver_phone) == ("赵六", "13800000001")  # the ' prefix gone


def test_item_file_without_its_order_file_is_refused(clerk_client, stock):
    ShopFactory(platform=P.TAOBAO)
    before = db_snapshot()
    files = WRITERS[P.TAOBAO]([SampleOrder("2938002", [SampleLine("A-1", 1)])])
    response = upload(clerk_client, files[1:])
    (message,) = refusal(response)
    assert "淘宝/天猫宝贝报表" in message and "收货人姓名" in message and "订单报表" in message
    assert db_snapshot() == before


def test_files_of_two_platforms_are_refused(clerk_client, stock):
    before = db_snapshot()
    files = [*WRITERS[P.DOUDIAN]([SampleOrder("6980", [SampleLine("A-1", 1)])])]
    files += WRITERS[P.PINDUODUO]([SampleOrder("231201-9", [SampleLine("A-1", 1)])])
    (message,) = refusal(upload(clerk_client, files))
    assert "不同平台" in message and "抖店" in message and "拼多多" in message
    assert db_snapshot() == before


def test_a_tracking_file_on_the_order_import_is_refused(clerk_client):
    before = db_snapshot()
    content = csv_bytes([["订单号", "快递公司", "快递单号"], ["T1", "顺丰", "SF1234567890123"]])
    (message,) = refusal(upload(clerk_client, [("快递信息.csv", content)]))
    assert "快递单号文件" in message and "导入快递单号" in message
    assert db_snapshot() == before


def test_a_platform_file_missing_needed_columns_names_them(clerk_client):
    before = db_snapshot()
    content = csv_bytes([["主订单编号", "子订单编号", "商品名称", "收件人"], ["69", "69", "杯子", "张三"]])
    (message,) = refusal(upload(clerk_client, [("抖店.csv", content)]))
    assert message.startswith("“抖店.csv”是抖店订单导出，缺少列")
    assert "“商家编码”" in message and "“商品数量”" in message and "“收件人手机号”" in message
    assert db_snapshot() == before


def test_the_chosen_shop_must_be_of_the_files_platform(clerk_client, stock):
    taobao = ShopFactory(platform=P.TAOBAO)
    ShopFactory(platform=P.DOUDIAN)
    files = WRITERS[P.DOUDIAN]([SampleOrder("6990", [SampleLine("A-1", 1)])])
    (message,) = refusal(upload(clerk_client, files, shop=taobao))
    assert f"所选店铺“{taobao.name}”是淘宝/天猫店铺" in message
    assert not Order.objects.filter(order_no="6990").exists()


def test_several_shops_of_the_platform_need_a_choice(clerk_client, stock):
    ShopFactory(platform=P.DOUDIAN)
    ShopFactory(platform=P.DOUDIAN)
    files = WRITERS[P.DOUDIAN]([SampleOrder("6991", [SampleLine("A-1", 1)])])
    (message,) = refusal(upload(clerk_client, files))
    assert "有多个抖店店铺，请选择" in message


def test_tracking_import_takes_one_file(clerk_client):
    content = csv_bytes([["订单号", "快递公司", "快递单号"], ["T1", "顺丰", "SF1234567890123"]])
    response = upload(clerk_client, [("a.csv", content), ("b.csv", content)], resource=TRACKING)
    assert "“导入快递单号”一次只能上传一个文件。" in refusal(response)


def test_choosing_a_platform_that_is_not_the_files(clerk_client, stock):
    ShopFactory(platform=P.DOUDIAN)
    files = WRITERS[P.DOUDIAN]([SampleOrder("6992", [SampleLine("A-1", 1)])])
    (message,) = refusal(upload(clerk_client, files, platform=P.JD))
    assert "不是京东的订单导出" in message


def test_encrypted_orders_show_a_badge_and_no_copy(clerk_client, stock):
    ShopFactory(platform=P.PINDUODUO)
    confirm(clerk_client, upload(clerk_client, WRITERS[P.PINDUODUO]([SampleOrder("231201-7", [SampleLine("A-1", 1)])])))
    order = Order.objects.get(order_no="231201-7")
    html = clerk_client.get(reverse("admin:orders_order_changelist")).content.decode()
    row = html[html.index("231201-7") :]
    row = row[: row.index("</tr>")]
    assert 'class="badge badge-encrypted"' in row and "copy-btn" not in row
    assert '<td class="field-masked_phone">平台加密</td>' in row
    reveal = clerk_client.post(reverse("admin:orders_order_receiver", args=[order.pk]))
    assert reveal.status_code == 409 and "平台加密" in reveal.json()["error"]


def test_an_order_file_with_an_item_file_missing_its_orders_is_refused(clerk_client, stock):
    ShopFactory(platform=P.TAOBAO)
    before = db_snapshot()
    orders, _items = WRITERS[P.TAOBAO]([SampleOrder("2938100", [SampleLine("A-1", 1)])])
    _other_orders, other_items = WRITERS[P.TAOBAO]([SampleOrder("2938200", [SampleLine("A-1", 1)])])
    (message,) = refusal(upload(clerk_client, [orders, other_items]))
    assert "有 1 个订单在商品文件“淘宝宝贝报表.csv”中没有商品（2938100）" in message
    assert db_snapshot() == before


# The platforms whose export has an after-sales (售后/退款) column, with a word each writes there.
REFUND_WORDS = [
    (P.DOUDIAN, "未发货仅退款"),
    (P.TAOBAO, "退款成功"),
    (P.PINDUODUO, "退款成功"),
    (P.YOUZAN, "退款中"),
    (P.ALI1688, "退款中"),
]


@pytest.mark.parametrize(("platform", "word"), REFUND_WORDS)
def test_a_refunded_order_is_not_imported_and_says_why(clerk_client, stock, platform, word):
    ShopFactory(platform=platform)
    orders = [
        SampleOrder("880001", [SampleLine("A-1", 1)]),
        SampleOrder("880002", [SampleLine("B-2", 1, after_sales=word)]),
    ]
    preview = upload(clerk_client, WRITERS[platform](orders))
    assert f"平台显示售后“{word}”，本行不导入" in preview.content.decode()
    confirm(clerk_client, preview)
    assert list(Order.objects.values_list("order_no", flat=True)) == ["880001"]


def test_a_platform_with_only_an_address_line_gets_its_region_split(clerk_client, stock):
    # 淘宝 and 京东 give one 收货地址 line; 省/市/区 are split from it (orders.addresses.split_region).
    ShopFactory(platform=P.TAOBAO)
    order = SampleOrder("TB7001", [SampleLine("A-1", 1)], province="浙江省", city="杭州市", district="西湖区")
    confirm(clerk_client, upload(clerk_client, WRITERS[P.TAOBAO]([order])))
    stored = Order.objects.get(order_no="TB7001")
    assert (stored.province, stored.city, stored.district) == ("浙江省", "杭州市", "西湖区")
    assert stored.address == "浙江省 杭州市 西湖区 张杨路 100 号"  # as 淘宝 writes it
