"""粘贴下单 (issue 17): a buyer's chat message split into receiver, 省/市/区 and products; the items
matched; the page from paste to order; chat order numbers unique when two clerks save at once."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import OPS, order_fields_locked_for
from inventory.selectors import match_items
from orders import services
from orders.addresses import ADDRESS_MISSING, NAME_MISSING, PHONE_MISSING, parse_receiver_message, split_region
from orders.models import HoldRules, Order, OrderHold, OrderLine, Shop
from tests.factories import ItemFactory, ShopFactory
from tests.orders.test_admin_list import needs_mysql, run_together
from tests.role_fixtures import staff_in

URL = reverse("admin:orders_order_add_from_message")

# (message, name, phone, (province, city, district), street, [(product text, quantity)], problems)
MESSAGES = [
    (
        "张三 13800138000-1234 浙江省杭州市西湖区文三路1号 蓝色T恤L 2件",
        "张三", "13800138000-1234", ("浙江省", "杭州市", "西湖区"), "文三路1号", [("蓝色T恤L", 2)], {},
    ),
    (  # labels on their own lines; a 直辖市 (the city is the province); rooms after spaces
        "收件人：李四\n电话：13912345678\n地址：上海市浦东新区世纪大道100号 3单元 502室\n黑色帽子1个",
        "李四", "13912345678", ("上海市", "上海市", "浦东新区"), "世纪大道100号 3单元 502室", [("黑色帽子", 1)], {},
    ),
    (  # full-width digits and colons, commas, 所在地区 + 详细地址, two products
        "收货人：王五，手机号码：１３８００１３８０００，所在地区：广东省 广州市 天河区，"
        "详细地址：体育西路100号。蓝色T恤L 2件，黑色帽子1个",
        "王五", "13800138000", ("广东省", "广州市", "天河区"), "体育西路100号", [("蓝色T恤L", 2), ("黑色帽子", 1)], {},
    ),
    (  # another order: address, phone, name, then "x2"
        "浙江省杭州市西湖区文三路1号 13800138000 张三 蓝色T恤L x2",
        "张三", "13800138000", ("浙江省", "杭州市", "西湖区"), "文三路1号", [("蓝色T恤L", 2)], {},
    ),
    (  # semicolons, products first, 转 extension, 北京 without 市
        "蓝色T恤L 2件；张三；13800138000转1234；北京朝阳区三里屯路19号",
        "张三", "13800138000-1234", ("北京市", "北京市", "朝阳区"), "三里屯路19号", [("蓝色T恤L", 2)], {},
    ),
    (  # a landline; 省直辖县级市 (仙桃 is the city, no district); 两个
        "赵六 0571-88886666 湖北省仙桃市干河街道汉江路8号 帽子 两个",
        "赵六", "0571-88886666", ("湖北省", "仙桃市", ""), "干河街道汉江路8号", [("帽子", 2)], {},
    ),
    (  # 分机 extension; 工业园区 is no district; "*3"
        "孙七 13800138000 分机 88 江苏省苏州市工业园区星湖街328号 T恤*3",
        "孙七", "13800138000-88", ("江苏省", "苏州市", ""), "工业园区星湖街328号", [("T恤", 3)], {},
    ),
    (  # no phone: a clear problem
        "周八 浙江省杭州市西湖区文三路1号 蓝色T恤L 2件",
        "周八", "", ("浙江省", "杭州市", "西湖区"), "文三路1号", [("蓝色T恤L", 2)], {"receiver_phone": PHONE_MISSING},
    ),
    (  # a district alone (西湖区 is in 杭州 and in 南昌): 省/市 left for the clerk, not guessed
        "张三 13800138000 西湖区文三路1号",
        "张三", "13800138000", ("", "", "西湖区"), "文三路1号", [], {},
    ),
    (  # labels without colons at line starts; 自治州; 备注
        "姓名 张三\n手机 13800138000\n收货地址 四川省甘孜藏族自治州康定市炉城镇\n备注：请尽快发货",
        "张三", "13800138000", ("四川省", "甘孜藏族自治州", "康定市"), "炉城镇", [], {},
    ),
    (  # a mobile written in groups
        "张三 138 0013 8000 重庆市渝中区解放碑民族路 蓝色T恤L 2件",
        "张三", "13800138000", ("重庆市", "重庆市", "渝中区"), "解放碑民族路", [("蓝色T恤L", 2)], {},
    ),
    (  # +86; a 开发区 inside a 新区; 商品： label and ×
        "收件人：吴九；联系方式：+86 13700001111；地址：天津市滨海新区经济技术开发区第三大街5号；商品：TS-001 ×2",
        "吴九", "13700001111", ("天津市", "天津市", "滨海新区"), "经济技术开发区第三大街5号", [("TS-001", 2)], {},
    ),
    (  # one part per line; 自治区
        "郑十\n13600002222\n新疆维吾尔自治区乌鲁木齐市天山区解放北路9号\n黑色帽子 1个\n蓝色T恤L 1件",
        "郑十", "13600002222", ("新疆维吾尔自治区", "乌鲁木齐市", "天山区"), "解放北路9号",
        [("黑色帽子", 1), ("蓝色T恤L", 1)], {},
    ),
    (
        "冯一 15900003333 广西壮族自治区南宁市青秀区民族大道88号 黑色帽子1顶",
        "冯一", "15900003333", ("广西壮族自治区", "南宁市", "青秀区"), "民族大道88号", [("黑色帽子", 1)], {},
    ),
    (  # a 经济技术开发区 that has its own division code (as platforms list it); no product
        "陈二 18800004444 安徽省合肥市经济技术开发区繁华大道1号",
        "陈二", "18800004444", ("安徽省", "合肥市", "经济技术开发区"), "繁华大道1号", [], {},
    ),
    (  # the address's labels first, the name's last
        "所在地区：河北省 石家庄市 长安区\n详细地址：中山东路 8号 2栋\n收货人：褚三\n手机：13500005555",
        "褚三", "13500005555", ("河北省", "石家庄市", "长安区"), "中山东路 8号 2栋", [], {},
    ),
    (  # a county-level city under its prefecture (昆山 in 苏州); a quantity stuck to the product
        "卫四，13300006666，江苏省昆山市玉山镇前进中路1号，蓝色T恤L2件",
        "卫四", "13300006666", ("江苏省", "苏州市", "昆山市"), "玉山镇前进中路1号", [("蓝色T恤L", 2)], {},
    ),
    (  # a full-width landline
        "蒋五 ０２１－６２３４５６７８ 上海市徐汇区漕溪北路 1 号",
        "蒋五", "021-62345678", ("上海市", "上海市", "徐汇区"), "漕溪北路 1 号", [], {},
    ),
    (  # a city without districts (东莞)
        "沈六 13800138000 广东省东莞市长安镇振安路 帽子一个",
        "沈六", "13800138000", ("广东省", "东莞市", ""), "长安镇振安路", [("帽子", 1)], {},
    ),
    (  # no province written
        "韩七 13800138000 杭州市余杭区文一西路969号 蓝色T恤L 2件 黑色帽子1个",
        "韩七", "13800138000", ("浙江省", "杭州市", "余杭区"), "文一西路969号", [("蓝色T恤L", 2), ("黑色帽子", 1)], {},
    ),
    (
        "收货人：欧阳娜娜 电话：13800138000 地址：吉林省延边朝鲜族自治州延吉市局子街 1号",
        "欧阳娜娜", "13800138000", ("吉林省", "延边朝鲜族自治州", "延吉市"), "局子街 1号", [], {},
    ),
    (  # a name with ·; 自治区直辖县级市
        "阿依古丽·买买提 13800138000 新疆石河子市北三路",
        "阿依古丽·买买提", "13800138000", ("新疆维吾尔自治区", "石河子市", ""), "北三路", [], {},
    ),
    (  # a 县 of a 直辖市; 转 extension
        "朱九 13800138000转567 重庆市巫山县巫峡镇广东中路 蓝色T恤L 2件",
        "朱九", "13800138000-567", ("重庆市", "重庆市", "巫山县"), "巫峡镇广东中路", [("蓝色T恤L", 2)], {},
    ),
    (  # "x 2" written apart
        "秦十 13800138000 内蒙古自治区呼和浩特市赛罕区大学西街 XL黑色帽子 x 2",
        "秦十", "13800138000", ("内蒙古自治区", "呼和浩特市", "赛罕区"), "大学西街", [("XL黑色帽子", 2)], {},
    ),
    (  # only a product: every missing part named
        "蓝色T恤L 2件",
        "", "", ("", "", ""), "", [("蓝色T恤L", 2)],
        {"receiver_phone": PHONE_MISSING, "address": ADDRESS_MISSING, "receiver_name": NAME_MISSING},
    ),
    (  # 省/市/区 apart; 两件
        "许一 13800138000 北京市 海淀区 中关村大街 1 号 蓝色T恤L两件",
        "许一", "13800138000", ("北京市", "北京市", "海淀区"), "中关村大街 1 号", [("蓝色T恤L", 2)], {},
    ),
    (  # Taobao's 复制收货地址: 86- before the mobile, 省/市/区 apart, a 街道, the postcode last (dropped)
        "张三，86-13800138000，浙江省 杭州市 西湖区 西溪街道 文三路1号 ，000000",
        "张三", "13800138000", ("浙江省", "杭州市", "西湖区"), "西溪街道 文三路1号", [], {},
    ),
    (  # WeChat's shared address card, with 邮编
        "收货人: 张三\n手机号码: 13800138000\n所在地区: 浙江省杭州市西湖区\n详细地址: 文三路1号\n邮编：310000",
        "张三", "13800138000", ("浙江省", "杭州市", "西湖区"), "文三路1号", [], {},
    ),
    (  # all stuck together
        "张三13800138000浙江省杭州市西湖区文三路1号",
        "张三", "13800138000", ("浙江省", "杭州市", "西湖区"), "文三路1号", [], {},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("message", "name", "phone", "region", "street", "products", "problems"), MESSAGES)
def test_a_chat_message_is_split_field_by_field(message, name, phone, region, street, products, problems):
    parsed = parse_receiver_message(message)

    assert parsed.name == name
    assert parsed.phone == phone
    assert (parsed.province, parsed.city, parsed.district) == region
    assert parsed.street == street
    assert [(product.text, product.quantity) for product in parsed.products] == products
    assert parsed.problems == problems


def test_the_address_line_is_kept_whole_and_unused_words_are_left_over():
    parsed = parse_receiver_message("杨八 13800138000 云南省西双版纳傣族自治州景洪市宣慰大道 麻烦发顺丰")

    assert parsed.address == "云南省西双版纳傣族自治州景洪市宣慰大道"
    assert parsed.leftover == ["麻烦发顺丰"]
    assert (
        parse_receiver_message("张三 13800138000 上海市徐汇区漕溪北路1号 T恤 1件 谢谢！").leftover == []
    )  # no 买家留言
    assert parse_receiver_message("备注：请尽快发货\n张三 13800138000 上海市徐汇区漕溪北路1号").note == "请尽快发货"


@pytest.mark.parametrize(
    ("address", "split"),
    [
        ("浙江省杭州市西湖区文三路1号", ("浙江省", "杭州市", "西湖区", "文三路1号")),
        ("北京朝阳区三里屯路19号", ("北京市", "北京市", "朝阳区", "三里屯路19号")),
        ("湖北省仙桃市干河街道", ("湖北省", "仙桃市", "", "干河街道")),
        ("西湖区文三路1号", ("", "", "西湖区", "文三路1号")),
        ("  ", ("", "", "", "")),
    ],
)
def test_split_region_of_a_full_address_line(address, split):
    assert split_region(address) == split


# --- Matching products to items -------------------------------------------------------------


@pytest.mark.django_db
def test_products_match_items_by_sku_or_name_and_the_longest_match_wins():
    shirt = ItemFactory(sku="TS-001", name="蓝色T恤L")
    hat = ItemFactory(sku="HAT-9", name="黑色帽子")
    ItemFactory(sku="TS", name="T恤")  # shorter than 蓝色T恤L: loses where both fit

    with CaptureQueriesContext(connection) as queries:
        found = match_items(["蓝色T恤L", "ts-001", "帽子", "黑色 帽子", "hat-9 黑", "毛衣", ""])

    assert found == [shirt, shirt, hat, hat, hat, None, None]
    assert len(queries) == 1


@pytest.mark.django_db
def test_a_product_that_fits_two_items_equally_is_left_for_the_clerk():
    ItemFactory(sku="A-1", name="纯棉T恤 蓝色")
    ItemFactory(sku="A-2", name="纯棉T恤 黑色")

    assert match_items(["纯棉T恤"]) == [None]


# --- The page -------------------------------------------------------------------------------


@pytest.fixture
def shop(db):
    """The one active shop, so the page preselects it."""
    shop = ShopFactory(name="微信小店")
    Shop.objects.exclude(pk=shop.pk).update(is_active=False)
    return shop


@pytest.fixture
def items(db):
    return ItemFactory(sku="TS-001", name="蓝色T恤L", initial_stock=10), ItemFactory(sku="HAT-9", name="黑色帽子")


def parse(client, message):
    return client.post(URL, {"message": message, "_parse": "识别"})


def confirm_data(response):
    """The confirmation form's fields as 识别 filled them (what the browser would post back)."""
    form, formset = response.context["form"], response.context["formset"]
    data = {"message": response.context["pasted"]["message"].value(), "_confirm": "确认下单"}
    for bound in form:
        data[bound.html_name] = bound.value() if bound.value() is not None else ""
    data.update({field.html_name: field.value() or "" for field in formset.management_form})
    for row in formset:
        for bound in row:
            value = bound.value()
            if value not in (None, False):
                data[bound.html_name] = value
    return data


def test_paste_then_confirm_creates_the_order_with_its_lines_and_region(clerk_client, shop, items):
    shirt, hat = items
    page = parse(clerk_client, "张三 13800138000-1234 浙江省杭州市西湖区文三路1号 蓝色T恤L 2件，黑色帽子1个")

    assert page.status_code == 200
    html = page.content.decode()
    assert "核对收货信息" in html and 'value="杭州市"' in html and "蓝色T恤L" in html

    response = clerk_client.post(URL, confirm_data(page), follow=True)

    order = Order.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:orders_order_change", args=[order.pk])
    today = timezone.localdate()
    assert order.order_no == f"WX{today:%Y%m%d}-0001"
    assert (order.shop, order.receiver_name, order.receiver_phone) == (shop, "张三", "13800138000-1234")
    assert (order.province, order.city, order.district) == ("浙江省", "杭州市", "西湖区")
    assert order.address == "浙江省杭州市西湖区文三路1号"
    assert order.status == Order.Status.PENDING
    assert [(line.item, line.quantity) for line in order.lines.order_by("pk")] == [(shirt, 2), (hat, 1)]
    page = response.content.decode()
    assert f"已创建订单 {order.order_no}（微信小店，2 种商品共 3 件，收货人 张三）" in page
    # The order page shows 省/市/区.
    assert 'name="province" value="浙江省"' in page and 'name="district" value="西湖区"' in page


def test_the_same_confirmation_sent_twice_makes_one_order(clerk_client, shop, items):
    data = confirm_data(parse(clerk_client, "张三 13800138000 上海市徐汇区漕溪北路1号 蓝色T恤L 2件"))
    clerk_client.post(URL, data)  # a double click, or the back button and 确认下单 again

    response = clerk_client.post(URL, data, follow=True)

    order = Order.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:orders_order_change", args=[order.pk])
    assert f"这条消息已经下过单（订单 {order.order_no}），没有再创建新订单。" in response.content.decode()
    # 识别 again is a new confirmation: a second order of the same words is the clerk's call.
    clerk_client.post(URL, confirm_data(parse(clerk_client, "张三 13800138000 上海市徐汇区漕溪北路1号 蓝色T恤L 2件")))
    assert Order.objects.count() == 2


def test_the_clerk_corrects_the_split_and_picks_an_item_for_an_unknown_product(clerk_client, shop, items):
    _shirt, hat = items
    page = parse(clerk_client, "李四 13912345678 西湖区文三路1号 花衬衫 2件")
    html = page.content.decode()
    assert "没有找到“花衬衫”对应的商品，请选择或删除这一行。" in html

    data = confirm_data(page)
    data.update({"province": "浙江省", "city": "杭州市", "lines-0-item": str(hat.pk)})
    clerk_client.post(URL, data)

    order = Order.objects.get()
    assert (order.province, order.city, order.district) == ("浙江省", "杭州市", "西湖区")
    assert [(line.item, line.quantity) for line in order.lines.all()] == [(hat, 2)]


def test_a_refusal_shows_each_problem_by_its_field_and_writes_nothing(clerk_client, shop, items):
    page = parse(clerk_client, "周八 浙江省杭州市西湖区文三路1号 毛衣 1件")
    html = page.content.decode()
    assert PHONE_MISSING in html
    assert "没有找到“毛衣”对应的商品" in html

    response = clerk_client.post(URL, confirm_data(page))

    assert response.status_code == 200
    assert Order.objects.count() == 0 and OrderLine.objects.count() == 0
    errors = response.context["form"].errors
    assert errors["receiver_phone"] == ["请填写电话。"]
    assert response.context["formset"].forms[0].errors["item"] == ["请选择商品。"]
    # Nothing to order: the lines say so.
    data = confirm_data(page)
    data.update({"receiver_phone": "13800138000", "lines-0-DELETE": "on"})
    response = clerk_client.post(URL, data)
    assert response.context["formset"].non_form_errors() == ["请至少添加一件商品。"]
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("  \n ", "请先粘贴买家发来的消息。"),
        ("张" * 1001, "消息太长（超过 1000 字），请只粘贴一个订单的收货信息和商品。"),
    ],
)
def test_an_empty_or_too_long_paste_is_refused_by_the_message(clerk_client, shop, message, problem):
    response = parse(clerk_client, message)

    assert response.status_code == 200
    assert response.context["pasted"].errors["message"] == [problem]
    assert response.context["form"] is None


def test_markup_and_odd_characters_in_a_message_are_shown_as_text(clerk_client, shop, items):
    page = parse(clerk_client, "<b>张三</b> 13800138000 上海市徐汇区漕溪北路1号 😀<script>alert(1)</script> 1件")

    html = page.content.decode()
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_words_of_the_buyer_not_used_become_the_note_and_the_hold_rules_apply(clerk_client, shop, items):
    rules = HoldRules.current()
    rules.hold_buyer_message = True
    rules.save()
    page = parse(clerk_client, "杨八 13800138000 上海市徐汇区漕溪北路1号 蓝色T恤L 1件 麻烦发顺丰")
    assert page.context["form"]["note"].value() == "麻烦发顺丰"

    response = clerk_client.post(URL, confirm_data(page), follow=True)

    order = Order.objects.get()
    assert order.note == "麻烦发顺丰"
    assert [hold.reason for hold in order.holds.all()] == [OrderHold.Reason.BUYER_MESSAGE]
    assert "按审单规则已挂起（买家留言" in response.content.decode()


def test_queries_stay_flat_in_the_number_of_products(clerk_client, shop):
    for n in range(5):
        ItemFactory(sku=f"P-{n}", name=f"商品{n}号款")
    counts = []
    for products in (1, 5):
        message = "张三 13800138000 上海市徐汇区漕溪北路1号 " + " ".join(f"商品{n}号款 1件" for n in range(products))
        with CaptureQueriesContext(connection) as parsing:
            page = parse(clerk_client, message)
        with CaptureQueriesContext(connection) as confirming:
            clerk_client.post(URL, confirm_data(page))
        counts.append((len(parsing), len(confirming)))

    assert counts[0] == counts[1], counts
    assert Order.objects.get(lines__item__sku="P-4").lines.count() == 5


def create_chat_order(shop, item, now=None, paste_key=None):
    """One order of `item` for 张三 through the service: (order, created)."""
    order = Order(shop=shop, receiver_name="张三", receiver_phone="13800138000", address="上海市")
    order.created_at = now or timezone.now()
    return services.create_chat_order(order, [OrderLine(item=item, quantity=1)], paste_key=paste_key)


def test_chat_order_numbers_count_up_per_shop_and_day(shop, items):
    other = ShopFactory(name="另一家店")
    Order.objects.create(shop=shop, order_no="WX20000101-0007", receiver_name="旧", receiver_phone="1", address="旧")
    shirt, _hat = items
    now = timezone.now()

    def create(in_shop):
        return create_chat_order(in_shop, shirt, now)[0].order_no

    day = f"WX{timezone.localtime(now):%Y%m%d}"
    assert [create(shop), create(shop), create(other)] == [f"{day}-0001", f"{day}-0002", f"{day}-0001"]


def test_the_page_needs_the_add_permission(client, django_user_model, shop):
    user = django_user_model.objects.create_user("viewer", password="pw-viewer-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(user)
    assert client.get(URL).status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="add_order"))
    client.force_login(django_user_model.objects.get(pk=user.pk))
    assert client.get(URL).status_code == 200


def test_the_order_list_and_the_add_page_link_to_the_paste(clerk_client, shop):
    for url in (reverse("admin:orders_order_changelist"), reverse("admin:orders_order_add")):
        assert f'href="{URL}"' in clerk_client.get(url).content.decode()


def test_the_order_form_fills_region_from_the_address_when_left_blank(clerk_client, shop, items):
    shirt, _hat = items
    data = {
        "shop": shop.pk,
        "order_no": "M-1",
        "customer_id": "",
        "created_at_0": timezone.localdate().isoformat(),
        "created_at_1": "10:00:00",
        "ship_by_0": "",
        "ship_by_1": "",
        "note": "",
        "receiver_name": "王五",
        "receiver_phone": "13800138000",
        "province": "",
        "city": "",
        "district": "",
        "address": "湖北省仙桃市干河街道汉江路8号",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-item": shirt.pk,
        "lines-0-quantity": "1",
        "lines-0-sub_order_no": "",
        "stock_movements-TOTAL_FORMS": "0",
        "stock_movements-INITIAL_FORMS": "0",
    }
    response = clerk_client.post(reverse("admin:orders_order_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    order = Order.objects.get(order_no="M-1")
    assert (order.province, order.city, order.district) == ("湖北省", "仙桃市", "")


def test_ops_may_correct_region_like_the_rest_of_the_receiver(django_user_model):
    ops = staff_in(django_user_model, "ops", OPS)

    assert order_fields_locked_for(ops, ["order_no", "province", "city", "district", "address"]) == ["order_no"]


# --- Two clerks at once (MariaDB) -----------------------------------------------------------


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clerks_creating_chat_orders_at_once_get_different_numbers():
    needs_mysql()
    shop = ShopFactory(name="并发小店")
    item = ItemFactory(sku="RACE-1", name="并发商品")
    now = timezone.now()

    numbers = run_together([lambda: create_chat_order(shop, item, now)[0].order_no] * 4)

    day = f"WX{timezone.localtime(now):%Y%m%d}"
    assert sorted(numbers) == [f"{day}-000{n}" for n in range(1, 5)]
    assert Order.objects.filter(shop=shop).count() == 4


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_confirmation_sent_three_times_at_once_makes_one_order():
    needs_mysql()
    shop = ShopFactory(name="并发小店")
    item = ItemFactory(sku="RACE-2", name="并发商品")

    def send():
        made, created = create_chat_order(shop, item, paste_key="k" * 32)
        return made.pk, created

    results = run_together([send] * 3)

    assert Order.objects.filter(shop=shop).count() == 1
    assert {pk for pk, _created in results} == {Order.objects.get(shop=shop).pk}
    assert sorted(created for _pk, created in results) == [False, False, True]
