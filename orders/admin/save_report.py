"""What a save of the order list tells the clerk (issue 16.5).

Built from what ship_orders returned (each parcel's `added_lines`) and what the rows' forms
decided (the carrier, and whether it was guessed from the number): no query per row.
"""

from django.urls import reverse
from django.utils.html import format_html, format_html_join

from orders.admin.parcel_views import units_text

GUESSED = "按单号识别，请核对"


def order_links(orders):
    return format_html_join(
        "、",
        '<a href="{}">{}</a>',
        [(reverse("admin:orders_order_change", args=[order.pk]), order.order_no) for order in orders],
    )


def carrier_text(carrier, guessed):
    """The carrier's name; a carrier picked from the number's format says so (the clerk did not choose it)."""
    if guessed:
        return format_html('{}<span class="carrier-guessed">（{}）</span>', carrier.name, GUESSED)
    return carrier.name


def parcel_line(rows):
    """One parcel of the save: its orders (links), carrier, number, the stock it took, and 撤销."""
    first = rows[0]
    parcel = first.parcel
    undo_url = reverse("admin:orders_order_void_parcel", args=[first.order.pk, parcel.pk])
    return format_html(
        '订单 {}：{} {}，库存扣减 {} <a class="undo-link" href="{}" title="撤销这个包裹（先确认）">撤销</a>',
        order_links([row.order for row in rows]),
        carrier_text(first.carrier, any(row.carrier_guessed for row in rows)),
        parcel.tracking_number,
        units_text(parcel.added_lines),
        undo_url,
    )


def list_save_message(shipped_rows):
    """The success message of a list save: one line per parcel (orders sharing a number share one)."""
    by_parcel = {}
    for row in shipped_rows:
        by_parcel.setdefault(id(row.parcel), []).append(row)
    lines = [parcel_line(rows) for rows in by_parcel.values()]
    if len(lines) == 1:
        return format_html("已发货：{}", lines[0])
    return format_html(
        '已发货 {} 单（{} 个包裹）：<ul class="ship-report">{}</ul>',
        len(shipped_rows),
        len(lines),
        format_html_join("", "<li>{}</li>", [(line,) for line in lines]),
    )
