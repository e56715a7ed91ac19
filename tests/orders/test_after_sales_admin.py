"""售后 in the admin (issue 19): 新建售后 from the order page, the case page's buttons, the list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import MANAGERS, OPS
from inventory.models import InventoryItem
from orders import after_sales, services
from orders.models import AfterSaleCase, OrderHold, Parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.role_fixtures import staff_in

pytestmark = pytest.mark.django_db

KIND, STATUS = AfterSaleCase.Kind, AfterSaleCase.Status
LIST = reverse("admin:orders_aftersalecase_changelist")


@pytest.fixture
def ops_page(client, django_user_model):
    client.force_login(staff_in(django_user_model, "ops", OPS))
    return client


def new_url(order):
    return reverse("admin:orders_aftersalecase_new", args=[order.pk])


def case_url(case):
    return reverse("admin:orders_aftersalecase_change", args=[case.pk])


def step_url(case, step):
    return reverse("admin:orders_aftersalecase_step", args=[case.pk, step])


def shipped_order():
    item = ItemFactory(sku="ADM-CUP", initial_stock=10)
    order = OrderFactory(order_no="ADM-1", item=item, quantity=2)
    services.ship_order(order, carrier("SF"), sf_number(1))
    return order, order.lines.get(), item


def test_the_order_page_lists_its_cases_and_offers_new_after_sale(ops_page):
    order, line, _item = shipped_order()
    case = after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 1)], reason="尺码不合适")

    page = ops_page.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()

    assert 'id="after-sales"' in page and f">{case}</a>" in page and "尺码不合适" in page
    assert new_url(order) in page


def test_new_after_sale_form_opens_a_case_and_says_so(ops_page):
    order, line, _item = shipped_order()

    page = ops_page.get(new_url(order))
    assert page.status_code == 200 and "ADM-CUP 售后数量" in page.content.decode()
    response = ops_page.post(
        new_url(order),
        {"kind": KIND.RETURN_REFUND, "reason": "破损", f"qty_{line.pk}": "1", "return_tracking_number": "yt5550001112"},
        follow=True,
    )

    case = AfterSaleCase.objects.get()
    assert response.redirect_chain[-1][0] == case_url(case)
    assert f"已新建{case}（退货退款，订单 ADM-1）" in response.content.decode()
    assert (case.status, case.return_tracking_number, case.lines.get().quantity) == (
        STATUS.RETURNING,
        "YT5550001112",
        1,
    )


def test_new_after_sale_beyond_what_shipped_shows_the_reason_on_the_form(ops_page):
    order, line, _item = shipped_order()

    ops_page.post(new_url(order), {"kind": KIND.REISSUE, f"qty_{line.pk}": "1"})
    response = ops_page.post(new_url(order), {"kind": KIND.REISSUE, f"qty_{line.pk}": "2"})

    assert response.status_code == 422
    assert "最多还能售后 1 件，不能售后 2 件" in response.content.decode()
    assert AfterSaleCase.objects.count() == 1


def test_the_case_page_buttons_go_through_the_services(ops_page):
    order, line, item = shipped_order()
    case = after_sales.create_case(order, KIND.REISSUE, [(line, 1)])

    page = ops_page.get(case_url(case)).content.decode()
    assert step_url(case, "reissue") in page and step_url(case, "complete") in page
    response = ops_page.post(
        step_url(case, "reissue"), {"carrier": carrier("SF").pk, "tracking_number": sf_number(2)}, follow=True
    )

    assert f"已补发{case}：顺丰速运 {sf_number(2)}，库存已扣减。售后单已完成。" in response.content.decode()
    assert InventoryItem.objects.get(pk=item.pk).stock == 7
    assert Parcel.objects.get(tracking_number=sf_number(2)).kind == Parcel.Kind.REISSUE


def test_a_refused_step_says_why_and_changes_nothing(ops_page):
    order, line, _item = shipped_order()
    case = after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 1)])

    response = ops_page.post(step_url(case, "complete"), follow=True)

    assert f"未完成：{case} 的退货还没有收货入库，请先收货。" in response.content.decode()
    assert AfterSaleCase.objects.get(pk=case.pk).status == STATUS.PENDING
    assert ops_page.get(step_url(case, "complete")).status_code == 405


def test_rejecting_a_refund_releases_the_hold_and_says_so(ops_page):
    order = OrderFactory(order_no="ADM-REF")
    case = after_sales.create_case(order, KIND.REFUND_ONLY, [(order.lines.get(), 1)])
    assert OrderHold.objects.active().filter(order=order).exists()

    response = ops_page.post(step_url(case, "reject"), {"note": "已发货前追回"}, follow=True)

    assert f"{case}已拒绝，订单的退款挂起已解除，可以发货了。" in response.content.decode()
    assert not OrderHold.objects.active().filter(order=order).exists()


def test_the_list_filters_by_kind_and_status_and_finds_a_return_number(ops_page):
    order, line, _item = shipped_order()
    returned = after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 1)], return_tracking_number="YT777000111")
    reissued = after_sales.create_case(order, KIND.REISSUE, [(line, 1)])

    by_kind = ops_page.get(LIST, {"kind__exact": KIND.REISSUE}).context["cl"].result_list
    by_number = ops_page.get(LIST, {"q": "YT777000111"}).context["cl"].result_list
    by_order = ops_page.get(LIST, {"q": "ADM-1"}).context["cl"].result_list
    by_status = ops_page.get(LIST, {"status__exact": STATUS.RETURNING}).context["cl"].result_list

    assert list(by_kind) == [reissued] and list(by_number) == [returned]
    assert set(by_order) == {returned, reissued} and list(by_status) == [returned]


def test_managers_read_cases_but_have_no_buttons(client, django_user_model):
    order, line, _item = shipped_order()
    case = after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 1)])
    client.force_login(staff_in(django_user_model, "manager", MANAGERS))

    page = client.get(case_url(case)).content.decode()

    assert "售后商品" in page and step_url(case, "complete") not in page
    assert client.post(step_url(case, "complete")).status_code == 403
    assert client.get(new_url(order)).status_code == 403


def test_an_exchange_to_another_sku_and_an_unknown_sku(ops_page):
    order, line, _item = shipped_order()
    ItemFactory(sku="ADM-CUP-RED", initial_stock=5)

    refused = ops_page.post(new_url(order), {"kind": KIND.EXCHANGE, f"qty_{line.pk}": "1", f"item_{line.pk}": "NOPE"})
    assert refused.status_code == 422 and "找不到 SKU “NOPE”，请核对。" in refused.content.decode()
    ops_page.post(new_url(order), {"kind": KIND.EXCHANGE, f"qty_{line.pk}": "1", f"item_{line.pk}": " ADM-CUP-RED "})

    case = AfterSaleCase.objects.get()
    assert [(r.line_id, r.item.sku, r.quantity) for r in case.reissue_lines.all()] == [(line.pk, "ADM-CUP-RED", 1)]


def test_the_list_and_the_new_case_page_cost_the_same_queries_for_more_rows(ops_page):
    def cases(count):
        for _ in range(count):
            item = ItemFactory(initial_stock=10)
            order = OrderFactory(item=item, quantity=1)
            services.ship_order(order, carrier("SF"), sf_number(order.pk))
            after_sales.create_case(order, KIND.RETURN_REFUND, [(order.lines.get(), 1)])
        return order

    def counted(url):
        with CaptureQueriesContext(connection) as queries:
            assert ops_page.get(url).status_code == 200
        return len(queries)

    cases(2)
    small = counted(LIST)
    cases(8)
    assert counted(LIST) == small
    few = OrderFactory(lines=[(ItemFactory(), 1)])
    many = OrderFactory(lines=[(ItemFactory(), 1) for _ in range(8)])
    assert counted(new_url(many)) == counted(new_url(few))


def test_completing_a_whole_refund_says_the_order_is_cancelled(ops_page):
    order = OrderFactory(order_no="ADM-ALL")
    case = after_sales.create_case(order, KIND.REFUND_ONLY, [(order.lines.get(), 1)])

    response = ops_page.post(step_url(case, "complete"), follow=True)

    assert f"{case}已完成，订单 ADM-ALL 已全额退款，订单已取消。" in response.content.decode()


def test_a_case_waiting_for_its_return_points_to_the_scan_desk(ops_page):
    order, line, _item = shipped_order()
    returned = after_sales.create_case(order, KIND.RETURN_REFUND, [(line, 1)], return_tracking_number="YT1230000001")
    reissued = after_sales.create_case(order, KIND.REISSUE, [(line, 1)])

    assert "扫描退货单号（YT1230000001）清点良品、次品并入库" in ops_page.get(case_url(returned)).content.decode()
    assert "扫描退货单号" not in ops_page.get(case_url(reissued)).content.decode()
