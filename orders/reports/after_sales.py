"""The daily report's after-sales part: 补发 parcels shipped and returns received (退货入库) on its days.

A second table under the sales (the sales table counts sold parcels only, so a reissue never
inflates what was sold): one row per reissue parcel line (by the Shanghai day of shipped_at)
and per counted case line (by the day of received_at), with the report's carrier filter
applied to the reissue's carrier and to the return's carrier. The page, the CSV and the XLSX
show the same rows (AFTER_SALES_HEADERS).
"""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS

from orders.models import AfterSaleCase, AfterSaleLine, Parcel, ParcelLine
from orders.reports.days import local_datetime, on_days
from orders.reports.lookups import NameBook

REISSUE, RETURN = "补发", "退货入库"
AFTER_SALES_HEADERS = [
    "类型",
    "售后单",
    "订单号",
    "SKU",
    "产品名",
    "数量",
    "良品",
    "次品",
    "快递公司",
    "快递单号",
    "时间",
    "操作人",
]


@dataclass
class AfterSalesSummary:
    """补发: parcels and pieces; 退货入库: cases received, 良品 and 次品 pieces."""

    reissue_parcels: int = 0
    reissue_units: int = 0
    returns: int = 0
    good: int = 0
    damaged: int = 0


def after_sales_rows(date_from, date_to, carrier=None, *, using=DEFAULT_DB_ALIAS):
    """The after-sales rows (lists of cells in AFTER_SALES_HEADERS order, times naive Shanghai) of the days.

    Three queries plus the names (NameBook): reissue lines, counted case lines, names.
    """
    reissues = on_days(
        ParcelLine.objects.using(using).filter(
            parcel__kind=Parcel.Kind.REISSUE, parcel__status__in=Parcel.LIVE, parcel__shipped_at__isnull=False
        ),
        "parcel__shipped_at",
        date_from,
        date_to,
    )
    returns = on_days(
        AfterSaleLine.objects.using(using).filter(case__received_at__isnull=False),
        "case__received_at",
        date_from,
        date_to,
    )
    if carrier is not None:
        reissues = reissues.filter(parcel__carrier=carrier)
        returns = returns.filter(case__return_carrier=carrier)
    reissue_rows = list(
        reissues.order_by("parcel__shipped_at", "parcel_id", "pk").values_list(
            "parcel__after_sale_id",
            "line__order__order_no",
            "item_id",
            "line__item_id",
            "quantity",
            "parcel__carrier_id",
            "parcel__tracking_number",
            "parcel__shipped_at",
            "parcel__shipped_by_id",
        )
    )
    return_rows = list(
        returns.order_by("case__received_at", "case_id", "pk").values_list(
            "case_id",
            "line__order__order_no",
            "line__item_id",
            "good_quantity",
            "damaged_quantity",
            "case__return_carrier_id",
            "case__return_tracking_number",
            "case__received_at",
            "case__received_by_id",
        )
    )
    names = NameBook(using=using)
    names.learn(
        items={row[2] or row[3] for row in reissue_rows} | {row[2] for row in return_rows},
        carriers={row[5] for row in reissue_rows} | {row[5] for row in return_rows if row[5]},
        users={row[8] for row in reissue_rows + return_rows if row[8]},
    )
    rows = []
    for case, order_no, item, line_item, units, carrier_pk, number, when, user in reissue_rows:
        name, sku = names.item(item or line_item)
        cells = [REISSUE, _case(case), order_no, sku, name, units, "", "", names.carrier_name(carrier_pk), number]
        rows.append((when, [*cells, local_datetime(when), names.operator(user)]))
    for case, order_no, item, good, damaged, carrier_pk, number, when, user in return_rows:
        name, sku = names.item(item)
        cells = [RETURN, _case(case), order_no, sku, name, good + damaged, good, damaged]
        cells += [names.carrier_name(carrier_pk) if carrier_pk else "", number]
        rows.append((when, [*cells, local_datetime(when), names.operator(user)]))
    return [cells for _when, cells in sorted(rows, key=lambda pair: pair[0])]


def _case(pk):
    return str(AfterSaleCase(pk=pk)) if pk else ""


def after_sales_summary(rows):
    """The AfterSalesSummary of after_sales_rows' rows."""
    summary = AfterSalesSummary()
    reissue_parcels, returns = set(), set()
    for kind, case, _order, _sku, _name, units, good, damaged, _carrier, number, *_rest in rows:
        if kind == REISSUE:
            reissue_parcels.add(number)
            summary.reissue_units += units
        else:
            returns.add(case)
            summary.good += good
            summary.damaged += damaged
    summary.reissue_parcels, summary.returns = len(reissue_parcels), len(returns)
    return summary


def csv_section(rows):
    """What the CSV / XLSX append after the sales rows: a blank row, the headers, the rows."""
    if not rows:
        return []
    return [[], ["售后（补发与退货入库）"], AFTER_SALES_HEADERS, *rows]
