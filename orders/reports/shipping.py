"""发货日报: what shipped on Shanghai days, a row per parcel line, a summary per carrier.

The report is of what is shipped now: live parcels whose shipped_at falls on the chosen days.
A parcel voided later leaves the report of its day (its stock went back, it was not shipped
after all), so re-running a day's report after a void gives the corrected figures. The page,
its CSV (`format=csv`), its XLSX (`format=xlsx`) and the shipping_report command read the same
filters and the same rows. Each reads the database its queryset names (`parcels.db`): the read
replica when orders.reports.replica chooses it, else the primary.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Q, Sum
from django.http import HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from orders import privacy
from orders.models import Carrier, Parcel, ParcelLine
from orders.reports.after_sales import AFTER_SALES_HEADERS, after_sales_rows, after_sales_summary, csv_section
from orders.reports.days import local_date, local_datetime, local_time_text, on_days
from orders.reports.lookups import NameBook
from orders.reports.replica import read_with_fallback, report_source
from spreadsheets.writing import iter_csv, write_xlsx

REPORT_PERMISSION = "orders.view_shipping_report"
REPORT_PARCELS_PER_PAGE = 50
# Parcels read per query while streaming the CSV: memory stays flat in the number of rows.
CSV_CHUNK_PARCELS = 2000

REPORT_HEADERS = [
    "订单号",
    "用户ID",
    "产品名",
    "SKU",
    "数量",
    "收货人",
    "电话",
    "地址",
    "快递公司",
    "快递单号",
    "发货时间",
    "操作人",
]

# Plain values, so 100,000 rows cost no model instances; the parcels without joins, so MySQL
# walks the (shipped_at, id) index in order instead of sorting a join.
PARCEL_VALUES = ["pk", "carrier_id", "tracking_number", "shipped_at", "shipped_by_id"]
LINE_VALUES = [
    "parcel_id",
    "quantity",
    "line__item_id",
    "line__order_id",
    "line__order__order_no",
    "line__order__customer_id",
    "line__order__receiver_name",
    "line__order__receiver_phone",
    "line__order__address",
]


def shipped_parcels():
    """Every parcel that is shipped now as a sale: live, handed over, not a 补发.

    Voided parcels were not shipped; 补发 parcels ship again what was sold once, so they are
    the after-sales table's (orders.reports.after_sales), not the sales'.
    """
    return Parcel.objects.filter(status__in=Parcel.LIVE, shipped_at__isnull=False, kind=Parcel.Kind.NORMAL)


# --- Filters ---------------------------------------------------------------------------------


# The days a report may ask for: every real shipment, and never a day whose Shanghai bounds (or
# the day after) fall outside what Python's datetime and the databases hold (0001-01-01, 9999-12-31).
FIRST_REPORT_DAY = date(2000, 1, 1)
LAST_REPORT_DAY = date(2099, 12, 31)


def validate_report_day(day):
    if not FIRST_REPORT_DAY <= day <= LAST_REPORT_DAY:
        raise ValidationError(f"日期超出范围：请选择 {FIRST_REPORT_DAY} 至 {LAST_REPORT_DAY} 之间的日期。")


def report_day_widget():
    """The browser's date picker, limited to the days a report may ask for."""
    return forms.DateInput(
        attrs={"type": "date", "min": FIRST_REPORT_DAY.isoformat(), "max": LAST_REPORT_DAY.isoformat()},
        format="%Y-%m-%d",
    )


def report_day_filter(label, method):
    return django_filters.DateFilter(
        label=label, method=method, validators=[validate_report_day], widget=report_day_widget()
    )


class ShippingReportForm(forms.Form):
    """A day range from date_from to date_to (the 发货日报's, and 发货回传's): not backwards."""

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError("开始日期不能晚于结束日期。")
        return cleaned


class ShippingReportFilter(django_filters.FilterSet):
    """The 发货日报's filters: Shanghai ship dates (default today) and carrier (by code).

    Always bound: missing dates default to today (a lone 开始日期 runs to today, a lone
    结束日期 is that one day), so the page, its CSV link and the shipping_report command read
    the same query string the same way.
    """

    date_from = report_day_filter("发货日期从", "filter_date_from")
    date_to = report_day_filter("到", "filter_date_to")
    carrier = django_filters.ModelChoiceFilter(
        label="快递公司", queryset=Carrier.objects.all(), to_field_name="code", empty_label="全部快递公司"
    )

    class Meta:
        model = Parcel
        fields = ["date_from", "date_to", "carrier"]
        form = ShippingReportForm

    def __init__(self, data=None, *args, today=None, **kwargs):
        data = {key: data.get(key, "") for key in self.Meta.fields} if data is not None else {}
        today = (today or local_date(timezone.now())).isoformat()
        if not data.get("date_from") and not data.get("date_to"):
            data["date_from"] = data["date_to"] = today
        elif not data.get("date_to"):
            data["date_to"] = today
        elif not data.get("date_from"):
            data["date_from"] = data["date_to"]
        kwargs.setdefault("queryset", shipped_parcels())
        super().__init__(data, *args, **kwargs)

    def filter_date_from(self, queryset, name, value):
        return on_days(queryset, "shipped_at", date_from=value)

    def filter_date_to(self, queryset, name, value):
        return on_days(queryset, "shipped_at", date_to=value)

    def after_sales_rows(self, using=DEFAULT_DB_ALIAS):
        """The report's after-sales rows (补发, 退货入库) for its days and carrier; call once valid."""
        data = self.form.cleaned_data
        return after_sales_rows(data["date_from"], data["date_to"], data.get("carrier"), using=using)

    def query_string(self):
        """The filters as given (valid or not), for the CSV link and the pagination links."""
        return urlencode({key: self.data.get(key, "") for key in self.Meta.fields})

    def filename(self, extension="csv"):
        data = self.data
        days = data["date_from"] if data["date_from"] == data["date_to"] else f"{data['date_from']}_{data['date_to']}"
        return f"发货日报_{days}.{extension}"


# --- Rows ------------------------------------------------------------------------------------


def report_parcels(parcels):
    """The parcels of `parcels` as value dicts, in shipping order (shipped_at, pk)."""
    return parcels.order_by("shipped_at", "pk").values(*PARCEL_VALUES)


def parcel_chunks(parcels, chunk_size=CSV_CHUNK_PARCELS):
    """report_parcels(parcels) in keyset chunks of (shipped_at, pk), one range scan each.

    QuerySet.iterator() would not do: mysqlclient buffers the whole result set in the client,
    so memory would grow with the rows. The `shipped_at >= last` bound lets MySQL start there.
    """
    values = report_parcels(parcels)
    after = None
    while True:
        chunk = values
        if after is not None:
            chunk = values.filter(shipped_at__gte=after[0]).filter(Q(shipped_at__gt=after[0]) | Q(pk__gt=after[1]))
        rows = list(chunk[:chunk_size])
        if rows:
            yield rows
        if len(rows) < chunk_size:
            return
        after = (rows[-1]["shipped_at"], rows[-1]["pk"])


def parcel_line_rows(parcels, names, *, full_receiver=False, using=DEFAULT_DB_ALIAS):
    """(order pk, cells) for each line of `parcels` (value dicts), in REPORT_HEADERS order.

    The one place that decides what a report row shows. One query (on database `using`) reads the
    parcels' lines with their orders; `names` adds products, carriers and operators (at most three
    more). Phone and address are masked (PIPL, orders.privacy) unless `full_receiver`. 发货时间 is a
    naive Shanghai datetime (a date cell in the XLSX).
    """
    by_parcel = defaultdict(list)
    lines = ParcelLine.objects.using(using).filter(parcel_id__in=[p["pk"] for p in parcels]).order_by("parcel_id", "pk")
    # Tuples, not dicts: this loop runs for every row of a 100,000-row CSV.
    for line in lines.values_list(*LINE_VALUES):
        by_parcel[line[0]].append(line)
    names.learn(
        items={line[2] for group in by_parcel.values() for line in group},
        carriers={p["carrier_id"] for p in parcels},
        users={p["shipped_by_id"] for p in parcels},
    )
    mask_phone, short_address = privacy.mask_phone, privacy.short_address
    for parcel in parcels:
        carrier, number = names.carrier_name(parcel["carrier_id"]), parcel["tracking_number"]
        shipped_at, operator = local_datetime(parcel["shipped_at"]), names.operator(parcel["shipped_by_id"])
        for _parcel, units, item, order, order_no, customer, receiver, phone, address in by_parcel[parcel["pk"]]:
            if not full_receiver:
                phone, address = mask_phone(phone), short_address(address)
            name, sku = names.item(item)
            yield (
                order,
                [
                    order_no,
                    customer,
                    name,
                    sku,
                    units,
                    receiver,
                    phone,
                    address,
                    carrier,
                    number,
                    shipped_at,
                    operator,
                ],
            )


def daily_shipping_rows(parcels, *, full_receiver=False, chunk_size=CSV_CHUNK_PARCELS):
    """The report's rows (lists of cells, not yet escaped): a row per line of each parcel in `parcels`."""
    names = NameBook(using=parcels.db)
    for chunk in parcel_chunks(parcels, chunk_size):
        for _order_pk, cells in parcel_line_rows(chunk, names, full_receiver=full_receiver, using=parcels.db):
            yield cells


def shipping_report_csv(parcels, *, full_receiver=False, after_sales=()):
    """The daily shipping report as CSV text chunks; the page and the command both stream this.

    `after_sales` (ShippingReportFilter.after_sales_rows) follows the sales as a section of its own.
    """
    rows = chain(daily_shipping_rows(parcels, full_receiver=full_receiver), csv_section(after_sales))
    return iter_csv(rows, REPORT_HEADERS)


def shipping_report_xlsx(parcels, *, full_receiver=False, after_sales=()):
    """The daily shipping report as the bytes of an XLSX workbook, sheet 发货日报 (after-sales below the sales)."""
    rows = chain(daily_shipping_rows(parcels, full_receiver=full_receiver), csv_section(after_sales))
    return write_xlsx(rows, REPORT_HEADERS, sheet_title="发货日报")


def shown_cells(cells):
    """A report row's cells as the page shows them: times as '2026-11-24 08:05:09'."""
    return [local_time_text(cell) if isinstance(cell, datetime) else cell for cell in cells]


# --- The per-carrier summary ------------------------------------------------------------------


@dataclass
class CarrierSummary:
    """Per carrier: parcels, orders and pieces (件数) and its share of the parcels; and the totals.

    An order split over two parcels counts once per carrier and once in the total; a merged
    parcel counts once however many orders it holds.
    """

    rows: list = field(default_factory=list)
    parcels: int = 0
    orders: int = 0
    units: int = 0


def carrier_summary(parcels):
    """The CarrierSummary of `parcels`: two grouped scans and one look-up of the carriers."""
    lines = ParcelLine.objects.using(parcels.db).filter(parcel__in=parcels.order_by().values("pk")).order_by()
    figures = {
        "parcels": Count("parcel_id", distinct=True),
        "orders": Count("line__order_id", distinct=True),
        "units": Sum("quantity"),
    }
    grouped = list(lines.values("parcel__carrier_id").annotate(**figures))
    # A parcel has one carrier, so parcels and pieces add up; an order split across carriers does not.
    totals = {
        "parcels": sum(row["parcels"] for row in grouped),
        "units": sum(row["units"] for row in grouped),
        **lines.aggregate(orders=figures["orders"]),
    }
    carriers = Carrier.objects.using(parcels.db).in_bulk({row["parcel__carrier_id"] for row in grouped})
    rows = sorted(
        (
            {
                "carrier": carriers[row["parcel__carrier_id"]],
                "carrier__name": carriers[row["parcel__carrier_id"]].name,
                "parcels": row["parcels"],
                "orders": row["orders"],
                "units": row["units"],
                "share": 100 * row["parcels"] / totals["parcels"],
            }
            for row in grouped
        ),
        key=lambda row: (row["carrier"].sort_order, row["carrier"].code),
    )
    return CarrierSummary(rows, totals["parcels"], totals["orders"], totals["units"])


# --- The page --------------------------------------------------------------------------------


def shipping_report_csv_response(filterset, source, *, full_receiver=False):
    parcels = filterset.qs.using(source.alias)
    after_sales = filterset.after_sales_rows(source.alias)
    chunks = shipping_report_csv(parcels, full_receiver=full_receiver, after_sales=after_sales)
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in chunks),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(True, filterset.filename())
    return response


def report_page(parcels, page_number, after_sales=()):
    """(summary, page) of the 发货日报 page for `parcels`, read on the database `parcels` names.

    The summary also carries `after_sales` (its rows, shown) and `after_sales_summary`.
    """
    summary = carrier_summary(parcels)
    summary.after_sales = [shown_cells(cells) for cells in after_sales]
    summary.after_sales_summary = after_sales_summary(after_sales)
    page = Paginator(report_parcels(parcels), REPORT_PARCELS_PER_PAGE).get_page(page_number)
    rows = parcel_line_rows(list(page), NameBook(using=parcels.db), using=parcels.db)
    page.rows = [(pk, shown_cells(cells)) for pk, cells in rows]
    return summary, page


def shipping_report_xlsx_response(filterset, source, *, full_receiver=False):
    # Built whole (not streamed), so a replica failing half-way is replaced by the primary.
    workbook, _source = read_with_fallback(
        source,
        lambda alias: shipping_report_xlsx(
            filterset.qs.using(alias), full_receiver=full_receiver, after_sales=filterset.after_sales_rows(alias)
        ),
    )
    response = HttpResponse(workbook, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, filterset.filename("xlsx"))
    return response


DOWNLOADS = {"csv": shipping_report_csv_response, "xlsx": shipping_report_xlsx_response}


def shipping_report_view(request, model_admin):
    """发货日报: filters, a summary per carrier, the parcels' lines; `format=csv` / `format=xlsx` downloads them.

    Read on the replica when orders.reports.replica allows it; the page says where it read.
    """
    if not request.user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied
    source = report_source()
    filterset = ShippingReportFilter(request.GET)
    valid = filterset.is_valid()
    download = request.GET.get("format")
    if valid and download in DOWNLOADS:
        full = privacy.may_export_full(request.user)
        if full:
            privacy.record_export_reveal(request.user, f"发货日报 {download.upper()}：{filterset.filename(download)}")
        return DOWNLOADS[download](filterset, source, full_receiver=full)
    page = summary = None
    if valid:
        (summary, page), source = read_with_fallback(
            source,
            lambda alias: report_page(
                filterset.qs.using(alias), request.GET.get("page"), filterset.after_sales_rows(alias)
            ),
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "发货日报",
        "opts": model_admin.opts,
        "filterset": filterset,
        "valid": valid,
        "summary": summary,
        "page": page,
        "headers": REPORT_HEADERS,
        "after_sales_headers": AFTER_SALES_HEADERS,
        "query": filterset.query_string(),
        "source": source,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/orders/shipping_report.html", context)
