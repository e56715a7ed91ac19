import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services
from orders.desk import paste
from orders.desk.paste import apply_paste, parse_pasted_text, preview_paste, split_cells
from orders.models import Carrier, Order, Parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

KNOWN = {"DD0001", "DD0002", "DD0003"}


@pytest.fixture
def carriers(db):
    return list(Carrier.objects.filter(is_active=True))


def parse(text, carriers, known=KNOWN):
    return parse_pasted_text(text, known, carriers)


def test_split_cells_handles_every_separator_and_full_width_text():
    assert split_cells("ＤＤ０００１\tＳＦ１２３４５６７８９０１２３") == ["DD0001", "SF1234567890123"]
    assert split_cells("DD0001，SF1234567890123；顺丰") == ["DD0001", "SF1234567890123", "顺丰"]
    assert split_cells('"DD0001","SF1234567890123"') == ["DD0001", "SF1234567890123"]
    assert split_cells("DD0001\u3000 | SF1234567890123") == ["DD0001", "SF1234567890123"]
    assert split_cells("   ") == []


def test_messy_paste_finds_every_line(carriers):
    text = (
        "订单号\t收货人\t快递单号\n"  # header
        "\n"
        "DD0001\t张三\tSF1234567890123\t2\n"  # tabs + extra columns
        "  DD0002 , 李四 , 78636098066239  \n"  # commas and blanks, ZTO
        "ＤＤ０００３　ＹＴ１２３４５６７８９０１２３\n"  # full width
        "\n"
    )
    lines = parse(text, carriers)
    assert [line.line_no for line in lines] == [1, 3, 4, 5]
    assert lines[0].header and lines[0].ok and not lines[0].ships
    got = [(ln.order_no, ln.carrier.code, ln.tracking_number) for ln in lines[1:]]
    assert got == [
        ("DD0001", "SF", "SF1234567890123"),
        ("DD0002", "ZTO", "78636098066239"),
        ("DD0003", "YTO", "YT1234567890123"),
    ]
    assert all(line.ok for line in lines)


def test_lower_cased_order_numbers_are_found(carriers):
    (line,) = parse("dd0001 sf1234567890123", carriers)
    assert (line.order_no, line.tracking_number) == ("DD0001", "SF1234567890123")


def test_the_same_order_twice_with_the_same_number_is_done_once(carriers):
    lines = parse("DD0001 SF1234567890123\nDD0001 sf1234567890123", carriers)
    assert lines[1].ok and lines[1].duplicate_of == 1
    assert "与第 1 行重复" in lines[1].notes[0]


def test_the_same_order_twice_with_different_numbers_is_a_problem_on_both_lines(carriers):
    lines = parse("DD0001 SF1234567890123\nDD0001 SF1234567890999", carriers)
    assert "第 1 行已出现" in lines[1].problems[0]
    # Neither ships, even with 只发货没有问题的行: which number is right is the clerk's call.
    assert lines[0].problems == ["订单 DD0001 在第 2 行还有一个不同的快递单号，请只保留正确的一行。"]


def test_lines_without_an_order_or_a_number_are_problems(carriers):
    lines = parse("XX9999 SF1234567890123\nDD0001 张三 13800138000\nDD0002 SF1234567890123 771234567890123", carriers)
    assert "没有找到已存在的订单号" in lines[0].problems[0]
    assert "没有找到能识别快递公司的快递单号" in lines[1].problems[0]  # a phone number is not a tracking number
    assert "一行中有多个快递单号" in lines[2].problems[0]


def test_a_named_carrier_column_decides_an_ambiguous_number(carriers):
    lines = parse("DD0001 韵达 773194917396313\nDD0002 STO 773194917396314\nDD0003 顺丰 5301156237108", carriers)
    assert [(ln.carrier and ln.carrier.code, ln.tracking_number) for ln in lines[:2]] == [
        ("YD", "773194917396313"),
        ("STO", "773194917396314"),
    ]
    assert lines[2].problems == [
        "快递单号“5301156237108”不符合顺丰速运的单号格式。"
        "顺丰单号为 SF 加 12–13 位数字（旧单号为 12 位数字）。请核对后重新输入。"
    ]


def test_an_ambiguous_number_without_a_carrier_names_the_candidates_and_picks_none(carriers):
    (line,) = parse("DD0001 773194917396313", carriers)
    assert line.carrier is None and not line.ships
    assert line.problems == ["快递单号“773194917396313”可能属于：申通快递、韵达快递，请在该行加上快递公司名称。"]


def test_a_named_carrier_without_a_pattern_takes_any_number(carriers):
    carriers = [*carriers, Carrier.objects.create(name="同城快递", code="TC", tracking_number_pattern="")]
    (line,) = parse("DD0001 同城快递 88880000", carriers)
    assert (line.carrier.code, line.tracking_number) == ("TC", "88880000")


def test_parsing_reads_no_database(carriers, django_assert_num_queries):
    with django_assert_num_queries(0):
        parse("DD0001 SF1234567890123\n" * 100, carriers)


# ---- preview and apply against the database


def status_of(order_no):
    return Order.objects.get(order_no=order_no).status


def parcel_of(order_no):
    (parcel,) = Parcel.objects.filter(lines__line__order__order_no=order_no).distinct()
    return parcel


@pytest.mark.django_db
def test_preview_then_apply_ships_every_line_whole(clerk, ledger_is_consistent):
    a, b = ItemFactory(initial_stock=10), ItemFactory(initial_stock=10)
    OrderFactory(order_no="P001", lines=[(a, 1), (b, 2)])
    OrderFactory(order_no="P002", receiver_name="李四", item=a)
    text = f"订单号,单号\nP001,{sf_number(1)}\nP002,{sf_number(2)}\n"
    lines = preview_paste(text)
    assert [line.ships for line in lines] == [False, True, True]
    assert [(ol.item.sku, units) for ol, units in lines[1].remaining] == [(a.sku, 1), (b.sku, 2)]
    assert Parcel.objects.count() == 0
    lines, parcels = apply_paste(text, user=clerk)
    assert len(parcels) == 2
    assert (status_of("P001"), status_of("P002")) == ("shipped", "shipped")
    first = parcel_of("P001")
    assert (first.tracking_number, first.shipped_by, first.lines.count()) == (sf_number(1), clerk, 2)
    assert parcel_of("P002").carrier.code == "SF"
    ledger_is_consistent()


@pytest.mark.django_db
def test_two_lines_of_one_receiver_with_one_number_are_one_parcel(clerk, ledger_is_consistent):
    OrderFactory(order_no="M001")
    OrderFactory(order_no="M002")
    text = f"M001 {sf_number(1)}\nM002 {sf_number(1)}"
    lines = preview_paste(text)
    assert all(line.ships for line in lines)
    assert lines[0].notes == ["合并发货：与订单 M002（第 2 行）装入同一个包裹"]
    assert lines[1].notes == ["合并发货：与订单 M001（第 1 行）装入同一个包裹"]
    _lines, parcels = apply_paste(text, user=clerk)
    assert parcels[0] == parcels[1]
    assert Parcel.objects.count() == 1 and Parcel.objects.get().lines.count() == 2
    ledger_is_consistent()


@pytest.mark.django_db
def test_one_number_for_two_receivers_is_refused_on_the_second_line():
    OrderFactory(order_no="N001")
    OrderFactory(order_no="N002", receiver_name="李四")
    lines = preview_paste(f"N001 {sf_number(1)}\nN002 {sf_number(1)}")
    assert lines[0].ok
    assert lines[1].problems == [services.number_in_use_message(sf_number(1), ["N001"])]


@pytest.mark.django_db
def test_a_number_already_on_a_live_parcel_joins_it_for_the_same_receiver(clerk):
    shipped = OrderFactory(order_no="S001")
    services.ship_order(shipped, carrier("SF"), sf_number(1), user=clerk)
    OrderFactory(order_no="S002", receiver_name="李四")
    OrderFactory(order_no="S003")  # same receiver as S001
    (refused,) = preview_paste(f"S002 {sf_number(1)}")
    assert refused.problems == [services.number_in_use_message(sf_number(1), ["S001"])]
    (joins,) = preview_paste(f"S003 {sf_number(1)}")
    assert joins.ok and joins.notes == ["合并发货：加入订单 S001 已发出的包裹"]


@pytest.mark.django_db
def test_one_order_twice_with_one_number_is_one_parcel_and_the_duplicate_noted(clerk):
    OrderFactory(order_no="D001", quantity=2)
    lines, parcels = apply_paste(f"D001 {sf_number(1)}\nd001 {sf_number(1).lower()}", user=clerk)
    assert [line.ships for line in lines] == [True, False]
    assert lines[1].notes == ["与第 1 行重复，只处理一次"]
    assert len(parcels) == 1 and Parcel.objects.count() == 1
    assert status_of("D001") == "shipped"


@pytest.mark.django_db
def test_one_bad_line_means_nothing_is_applied(clerk, ledger_is_consistent):
    OrderFactory(order_no="Q001")
    short = OrderFactory(order_no="Q002", item=ItemFactory(initial_stock=1), quantity=5)
    lines, parcels = apply_paste(f"Q001 {sf_number(1)}\nQ002 {sf_number(2)}", user=clerk)
    assert parcels == []
    assert "库存不足" in lines[1].problems[0]
    assert set(Order.objects.values_list("status", flat=True)) == {"pending"}
    assert short.lines.get().item.movements.count() == 1  # only the receipt
    ledger_is_consistent()


@pytest.mark.django_db
def test_stock_counts_earlier_lines_of_the_batch():
    item = ItemFactory(initial_stock=3)
    OrderFactory(order_no="R001", item=item, quantity=2)
    OrderFactory(order_no="R002", item=item, quantity=2, receiver_name="李四")
    lines = preview_paste(f"R001 {sf_number(1)}\nR002 {sf_number(2)}")
    assert lines[0].ok
    assert "本批前面的包裹已占用 2 件" in lines[1].problems[0]


@pytest.mark.django_db
def test_already_shipped_with_the_same_number_is_skipped_and_other_statuses_refused(clerk):
    OrderFactory(order_no="U001")
    apply_paste(f"U001 {sf_number(1)}", user=clerk)
    services.cancel_order(OrderFactory(order_no="U002"), user=clerk)
    lines = preview_paste(f"U001 {sf_number(1)}\nU001x\nU002 {sf_number(2)}")
    assert lines[0].ok and not lines[0].ships and lines[0].notes == ["已发货（单号相同），跳过"]
    assert lines[2].problems == ["订单 U002 当前为“已取消”，不能发货。"]
    (line,) = preview_paste(f"U001 {sf_number(3)}")
    assert line.problems == ["订单 U001 当前为“已发货”，不能发货。"]


@pytest.mark.django_db
def test_preview_query_count_is_flat():
    def queries_for(count):
        orders = [
            OrderFactory(receiver_name=f"收货人{count}-{i}", lines=[(ItemFactory(initial_stock=5), 1)] * 2)
            for i in range(count)
        ]
        text = "\n".join(f"{o.order_no} {sf_number(count * 100 + i)}" for i, o in enumerate(orders))
        text += f"\n{orders[0].order_no} {sf_number(count * 100)}"  # a duplicate line
        with CaptureQueriesContext(connection) as captured:
            lines = preview_paste(text)
        assert sum(line.ships for line in lines) == count
        return len(captured.captured_queries)

    assert queries_for(3) == queries_for(30)


@pytest.mark.django_db
def test_paste_page_preview_and_confirm(clerk_client, ledger_is_consistent):
    OrderFactory(order_no="W001")
    OrderFactory(order_no="W002")
    url = reverse("admin:orders_order_paste")
    assert "批量回填" in clerk_client.get(url).content.decode()
    text = f"W001\t{sf_number(1)}\nW002\t{sf_number(1)}"
    page = clerk_client.post(url, {"text": text, "preview": "1"}).content.decode()
    assert "全部检查通过：将发货 2 单，共 1 个包裹" in page
    assert "确认发货 2 单（1 个包裹）" in page
    assert "合并发货：与订单 W002（第 2 行）" in page
    assert Parcel.objects.count() == 0
    response = clerk_client.post(url, {"text": text, "confirm": "1"}, follow=True)
    assert "批量回填完成：已发货 2 单，1 个包裹（顺丰速运 1 个）" in response.content.decode()
    assert Order.objects.filter(status="shipped").count() == 2
    ledger_is_consistent()


@pytest.mark.django_db
def test_paste_page_shows_problems_and_no_confirm(clerk_client):
    OrderFactory(order_no="X001")
    url = reverse("admin:orders_order_paste")
    page = clerk_client.post(url, {"text": "X001 nonsense\n<b>x</b>", "preview": "1"}).content.decode()
    assert "有 2 行有问题" in page
    assert 'name="confirm"' not in page
    assert "<b>x</b>" not in page  # escaped
    page = clerk_client.post(url, {"text": "X001 nonsense", "confirm": "1"}).content.decode()
    assert "本批一单也没有发" in page


@pytest.mark.django_db
def test_an_order_shipped_after_the_preview_stops_the_batch_on_its_line(clerk, monkeypatch, ledger_is_consistent):
    OrderFactory(order_no="V001")
    late = OrderFactory(order_no="V002", receiver_name="李四")
    preview = paste.preview_paste

    def preview_then_another_clerk_ships(text):
        lines = preview(text)
        services.ship_order(Order.objects.get(pk=late.pk), carrier("ZTO"), "70000000000001")
        return lines

    monkeypatch.setattr(paste, "preview_paste", preview_then_another_clerk_ships)
    lines, parcels = apply_paste(f"V001 {sf_number(1)}\nV002 {sf_number(2)}", user=clerk)

    assert parcels == []
    assert lines[0].problems == []
    assert lines[1].problems == ["订单 V002 当前为“已发货”，不能发货。"]
    assert status_of("V001") == "pending"
    ledger_is_consistent()


@pytest.mark.django_db
def test_stock_taken_after_the_preview_lands_on_the_line_of_that_item(clerk, monkeypatch):
    from inventory.models import StockMovement
    from inventory.services import adjust_stock

    OrderFactory(order_no="K001")
    scarce = ItemFactory(initial_stock=2)
    OrderFactory(order_no="K002", receiver_name="李四", item=scarce, quantity=2)
    preview = paste.preview_paste

    def preview_then_stock_is_counted_down(text):
        lines = preview(text)
        adjust_stock(scarce, -1, StockMovement.Reason.ADJUST, note="盘亏")
        return lines

    monkeypatch.setattr(paste, "preview_paste", preview_then_stock_is_counted_down)
    lines, parcels = apply_paste(f"K001 {sf_number(1)}\nK002 {sf_number(2)}", user=clerk)

    assert parcels == []
    assert lines[0].problems == []
    assert "库存不足" in lines[1].problems[0]


# ---- 只发货没有问题的行 (issue 16 point 4)


def three_bad_lines():
    """Two good lines and three bad ones: an unknown order, a number of no carrier, an ambiguous number."""
    for order_no in ("G001", "G002", "G003", "G004"):
        OrderFactory(order_no=order_no, receiver_name=f"收货人{order_no}")
    return f"G001 {sf_number(1)}\nNOPE01 SF1234567890555\nG002 12345\nG003 {sf_number(3)}\nG004 773194917396313\n"


@pytest.mark.django_db
def test_only_good_lines_ship_in_one_batch_and_the_bad_ones_are_handed_back(clerk, ledger_is_consistent):
    text = three_bad_lines()
    preview = preview_paste(text)
    good = {line.line_no for line in preview if line.ships}
    assert good == {1, 4}

    assert apply_paste(text, user=clerk)[1] == []  # the default stays all or nothing
    assert not Parcel.objects.exists()

    lines, parcels = apply_paste(text, user=clerk, only_good=True, expected=good)

    assert len(parcels) == 2
    assert (status_of("G001"), status_of("G003")) == ("shipped", "shipped")
    assert (status_of("G002"), status_of("G004")) == ("pending", "pending")
    bad = [(line.line_no, line.problems[0]) for line in lines if not line.ok]
    assert [line_no for line_no, _ in bad] == [2, 3, 5]
    assert "没有找到已存在的订单号" in bad[0][1]
    assert "申通快递、韵达快递" in bad[2][1]
    assert paste.left_text(lines) == "NOPE01 SF1234567890555\nG002 12345\nG004 773194917396313"
    ledger_is_consistent()


@pytest.mark.django_db
def test_a_good_line_shipped_by_another_clerk_after_the_preview_stops_the_partial_batch(clerk, ledger_is_consistent):
    text = three_bad_lines()
    good = {line.line_no for line in preview_paste(text) if line.ships}
    services.ship_order(Order.objects.get(order_no="G003"), carrier("ZTO"), "70000000000001")  # another clerk

    lines, parcels = apply_paste(text, user=clerk, only_good=True, expected=good)

    assert parcels == []
    assert status_of("G001") == "pending"  # never a partial of the partial
    (line_4,) = [line for line in lines if line.line_no == 4]
    assert line_4.problems == ["订单 G003 当前为“已发货”，不能发货。"]
    ledger_is_consistent()


@pytest.mark.django_db
def test_a_refusal_under_the_locks_ships_none_of_the_good_lines(clerk, monkeypatch, ledger_is_consistent):
    text = three_bad_lines()
    preview = paste.preview_paste

    def preview_then_another_clerk_ships(text):
        lines = preview(text)
        services.ship_order(Order.objects.get(order_no="G003"), carrier("ZTO"), "70000000000001")
        return lines

    monkeypatch.setattr(paste, "preview_paste", preview_then_another_clerk_ships)
    lines, parcels = apply_paste(text, user=clerk, only_good=True, expected={1, 4})

    assert parcels == []
    assert status_of("G001") == "pending"
    assert [line.problems for line in lines if line.line_no == 4] == [["订单 G003 当前为“已发货”，不能发货。"]]
    ledger_is_consistent()


@pytest.mark.django_db
def test_paste_page_ships_the_good_lines_and_keeps_the_bad_ones_in_the_box(clerk_client):
    text = three_bad_lines()
    url = reverse("admin:orders_order_paste")
    page = clerk_client.post(url, {"text": text, "preview": "1"}).content.decode()
    assert "只发货没有问题的 2 行" in page and 'name="confirm"' not in page
    assert 'name="good_lines" value="1,4"' in page

    response = clerk_client.post(url, {"text": text, "confirm_good": "1", "good_lines": "1,4"})
    assert response.status_code == 302
    page = clerk_client.get(response["Location"]).content.decode()

    g1, g3 = Order.objects.get(order_no="G001"), Order.objects.get(order_no="G003")
    assert "批量回填完成：已发货 2 单，2 个包裹（顺丰速运 2 个）" in page
    assert f'<a href="{reverse("admin:orders_order_change", args=[g1.pk])}">G001</a>' in page
    list_url = f"{reverse('admin:orders_order_changelist')}?ship_status=all&amp;id__in={g1.pk},{g3.pk}"
    assert list_url in page
    assert "未发货的 3 行已留在下面的文本框中" in page
    assert "<strong>原第 5 行</strong>" in page and "申通快递、韵达快递" in page
    assert ">NOPE01 SF1234567890555\nG002 12345\nG004 773194917396313</textarea>" in page
    # The list link shows exactly the shipped orders.
    listed = clerk_client.get(list_url.replace("&amp;", "&")).content.decode()
    assert "G001" in listed and "G003" in listed and "G002" not in listed


@pytest.mark.django_db
def test_paste_page_says_when_the_good_lines_changed_since_the_preview(clerk_client):
    text = three_bad_lines()
    url = reverse("admin:orders_order_paste")
    services.ship_order(Order.objects.get(order_no="G003"), carrier("ZTO"), "70000000000001")
    page = clerk_client.post(url, {"text": text, "confirm_good": "1", "good_lines": "1,4"}).content.decode()
    assert "预览之后情况有变化" in page
    assert status_of("G001") == "pending"
