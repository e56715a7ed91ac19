"""Dates and page numbers at the edge of what Python and the databases hold: a Chinese answer, never a 500."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

FAR_DATES = ["9999-12-31", "0001-01-01"]


@pytest.mark.parametrize("day", FAR_DATES)
@pytest.mark.parametrize("field", ["date_from", "date_to"])
@pytest.mark.parametrize("csv", [False, True])
def test_report_refuses_a_date_out_of_range_in_chinese(clerk_client, day, field, csv):
    query = {field: day, **({"format": "csv"} if csv else {})}
    response = clerk_client.get(reverse("admin:shipping_report"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "日期超出范围" in response.content.decode()


@pytest.mark.parametrize("day", FAR_DATES)
def test_shipping_report_command_refuses_a_date_out_of_range_in_chinese(day):
    with pytest.raises(CommandError, match="日期超出范围"):
        call_command("shipping_report", "--date", day)


@pytest.mark.parametrize("day", FAR_DATES)
@pytest.mark.parametrize("lookup", ["created_at__gte", "created_at__lt", "shipped_at__gte", "shipped_at__lt"])
def test_order_list_date_filter_out_of_range_is_not_a_500(clerk_client, day, lookup):
    response = clerk_client.get(reverse("admin:orders_order_changelist"), {lookup: day})
    assert response.status_code in (200, 302)


@pytest.mark.parametrize("page", ["100000000000000000000", "9" * 400, "-1", "abc"])
def test_order_list_page_number_out_of_range_is_not_a_500(clerk_client, page):
    response = clerk_client.get(reverse("admin:orders_order_changelist"), {"p": page})
    assert response.status_code in (200, 302)
