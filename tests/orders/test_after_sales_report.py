"""The daily report's after-sales table (issue 19): 补发 by ship day, 退货入库 by receipt day, its CSV section."""

import csv
import io
from datetime import date

import pytest
from django.core.management import call_command

from orders import after_sales, services
from orders.models import AfterSaleCase, Parcel
from orders.reports import shipping
from orders.reports.after_sales import AFTER_SALES_HEADERS, after_sales_summary
from spreadsheets.writing import BOM
from tests.factories import ItemFactory, carrier
from tests.orders.report_data import dated, new_number, shanghai, shipped_order

pytestmark = pytest.mark.django_db

KIND = AfterSaleCase.Kind
TODAY = date(2026, 11, 24)


def report(**data):
    filterset = shipping.ShippingReportFilter(data, today=TODAY)
    assert filterset.is_valid(), filterset.errors
    return filterset


def received_at(case, at):
    AfterSaleCase.objects.filter(pk=case.pk).update(received_at=at)


@pytest.fixture
def story():
    """A sale on the 23rd; its reissue (ZTO) shipped on the 24th at 00:10; its return received on the 24th at 23:59."""
    item = ItemFactory(sku="REP-CUP", name="马克杯", initial_stock=10)
    order = shipped_order(shanghai(2026, 11, 23, 9, 0), item=item, quantity=2)
    line = order.lines.get()
    reissue = after_sales.create_case(order, KIND.REISSUE, [(line, 1)])
    parcel = dated(after_sales.ship_reissue(reissue, carrier("ZTO"), new_number("ZTO")), shanghai(2026, 11, 24, 0, 10))
    returned = after_sales.create_case(
        order, KIND.RETURN_REFUND, [(line, 2)], return_carrier=carrier("YTO"), return_tracking_number="YT0000000123456"
    )
    after_sales.receive_return(returned, {returned.lines.get().pk: (1, 1)})
    received_at(returned, shanghai(2026, 11, 24, 23, 59))
    return order, reissue, returned, parcel


def test_a_reissue_is_not_a_sale_and_both_land_on_their_shanghai_day(story):
    order, reissue, returned, parcel = story

    monday, tuesday = report(date_from="2026-11-23"), report(date_to="2026-11-24", date_from="2026-11-24")

    assert [row[0] for row in shipping.daily_shipping_rows(monday.qs)] == [order.order_no]
    assert list(shipping.daily_shipping_rows(tuesday.qs)) == []  # the reissue sells nothing
    assert shipping.carrier_summary(tuesday.qs).parcels == 0
    assert monday.after_sales_rows() == tuesday.after_sales_rows()  # nothing on the 23rd
    rows = tuesday.after_sales_rows()
    assert [row[:8] for row in rows] == [
        ["补发", str(reissue), order.order_no, "REP-CUP", "马克杯", 1, "", ""],
        ["退货入库", str(returned), order.order_no, "REP-CUP", "马克杯", 2, 1, 1],
    ]
    assert rows[0][8:10] == ["中通快递", parcel.tracking_number]
    figures = after_sales_summary(rows)
    assert (figures.reissue_parcels, figures.reissue_units, figures.returns, figures.good, figures.damaged) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert report(date_from="2026-11-25", date_to="2026-11-25").after_sales_rows() == []


def test_the_carrier_filter_picks_the_reissues_and_returns_of_that_carrier(story):
    _order, reissue, returned, _parcel = story
    assert [row[1] for row in report(date_from="2026-11-24", carrier="ZTO").after_sales_rows()] == [str(reissue)]
    assert [row[1] for row in report(date_from="2026-11-24", carrier="YTO").after_sales_rows()] == [str(returned)]
    assert report(date_from="2026-11-24", carrier="SF").after_sales_rows() == []


def test_the_csv_and_the_command_carry_the_after_sales_section(story, tmp_path):
    filterset = report(date_from="2026-11-23", date_to="2026-11-24")
    text = "".join(shipping.shipping_report_csv(filterset.qs, after_sales=filterset.after_sales_rows()))
    table = list(csv.reader(io.StringIO(text.removeprefix(BOM))))

    assert table[0] == shipping.REPORT_HEADERS
    assert table[2:5] == [[], ["售后（补发与退货入库）"], AFTER_SALES_HEADERS]
    assert [row[0] for row in table[5:]] == ["补发", "退货入库"]
    out = tmp_path / "report.csv"
    call_command("shipping_report", "--from", "2026-11-23", "--to", "2026-11-24", "--output", str(out))
    assert out.read_bytes().decode("utf-8") == text


def test_a_voided_reissue_leaves_the_report(story):
    _order, _reissue, returned, parcel = story
    services.void_parcel(Parcel.objects.get(pk=parcel.pk))
    assert [row[1] for row in report(date_from="2026-11-24").after_sales_rows()] == [str(returned)]
