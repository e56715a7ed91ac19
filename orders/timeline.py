"""The order's and the carrier's timelines: history records plus the order's parcels, in Chinese."""

from django.db import models
from django.utils import timezone

from audit.timeline import (
    TIMELINE_LIMIT,
    Entry,
    ValueNames,
    changes,
    created_title,
    generic_entries,
    records_of,
    tracked_fields,
)
from orders.models import AfterSaleCase, AfterSaleLine, Order, OrderHold, Parcel, ParcelLine

STATUS = Order.Status
OLD_MARK = "[旧] "  # orders 0009 keeps the old item/quantity/carrier/number of a history row in its reason
STATUS_TITLES = {
    STATUS.PENDING: "改回待发货",
    STATUS.PARTIAL: "部分发货",
    STATUS.SHIPPED: "已全部发货",
    STATUS.CANCELLED: "取消订单",
}


def order_timeline(order):
    """The order's story, newest first: its history (created, status changes, edits) and its parcels.

    Four queries whatever the length of the history: the records with their users, the parcels
    with carrier and users, their lines with items and orders (ValueNames finds no foreign key
    on Order to look up).
    """
    previous, records = records_of(order)
    names = ValueNames(Order, [*records, previous] if previous else records)
    tracked = tracked_fields(Order, Order.history.model)
    entries = []
    for record in records:
        user, when = record.history_user, record.history_date
        if record.history_type == "+":
            details = [f"收货人：{record.receiver_name}", *_old_details(record)]
            entries.append(Entry(when, created_title(record, "创建订单"), user, "created", details))
        elif record.history_type == "-":
            entries.append(Entry(when, "删除订单", user, "deleted"))
        elif previous is not None:
            entries.extend(_order_change_entries(names, tracked, previous, record))
        previous = record
    entries.extend(_parcel_entries(order))
    entries.extend(_hold_entries(order))
    entries.extend(_after_sale_entries(order))
    return sorted(entries, key=lambda e: e.when, reverse=True)


def _after_sale_entries(order):
    """Each after-sales case's steps: 新建, 登记退货单号, 收货入库 (良品/次品), and how it closed (two queries)."""
    cases = (
        AfterSaleCase.objects.filter(order=order)
        .select_related("created_by", "returning_by", "received_by", "closed_by", "return_carrier")
        .prefetch_related(models.Prefetch("lines", AfterSaleLine.objects.select_related("line__item").order_by("pk")))
        .order_by("-created_at", "-pk")[:TIMELINE_LIMIT]
    )
    entries = []
    for case in cases:
        name = f"{case}（{case.get_kind_display()}）"
        lines = case.lines.all()
        asked = "、".join(f"{case_line.line.item.sku} × {case_line.quantity}" for case_line in lines)
        details = [asked, *([f"原因：{case.reason}"] if case.reason else [])]
        carrier = f"{case.return_carrier.name} " if case.return_carrier else ""
        returning = f"退货单号：{carrier}{case.return_tracking_number}"
        if case.returning_at and case.returning_at == case.created_at:  # opened with its return number
            details.append(returning)
        entries.append(Entry(case.created_at, f"新建售后 {name}", case.created_by, "changed", details))
        if case.returning_at and case.returning_at != case.created_at:
            entries.append(Entry(case.returning_at, f"退货寄回 {name}", case.returning_by, "changed", [returning]))
        if case.received_at:
            counted = [
                f"{case_line.line.item.sku} 良品 {case_line.good_quantity}、次品 {case_line.damaged_quantity}"
                for case_line in lines
            ]
            details = [*counted, "良品已回库存（退货入库），次品只登记"]
            entries.append(Entry(case.received_at, f"退货入库 {name}", case.received_by, "undone", details))
        if case.closed_at:
            title = f"售后{case.get_status_display()} {name}"
            entries.append(
                Entry(
                    case.closed_at,
                    title,
                    case.closed_by,
                    "cancelled" if case.status != case.Status.COMPLETED else "shipped",
                )
            )
    return entries


def _hold_entries(order, now=None):
    """挂起 and 解除挂起 entries of the order's holds (one query); a time hold that ran out, 自动解除."""
    now = now or timezone.now()
    holds = OrderHold.objects.filter(order=order).select_related("created_by", "released_by")
    entries = []
    for hold in holds.order_by("-created_at", "-pk")[:TIMELINE_LIMIT]:
        title = f"挂起（{hold.get_reason_display()}）" + ("：审单规则" if hold.by_rule else "")
        details = [hold.note] if hold.note else []
        if hold.until:
            details.append(f"到 {timezone.localtime(hold.until):%Y-%m-%d %H:%M} 自动解除")
        entries.append(Entry(hold.created_at, title, hold.created_by, "cancelled", details))
        if hold.released_at:
            released = f"解除挂起（{hold.get_reason_display()}）"
            entries.append(Entry(hold.released_at, released, hold.released_by, "undone"))
        elif hold.until and hold.until <= now:
            entries.append(Entry(hold.until, f"自动解除挂起（{hold.get_reason_display()}）", None, "undone"))
    return entries


def _old_details(record):
    """What a row from before real orders said about item and shipment ("[旧] SKU × 2；顺丰速运 SF…")."""
    reason = record.history_change_reason or ""
    return [reason[reason.index(OLD_MARK) :]] if OLD_MARK in reason else []


def _order_change_entries(names, tracked, previous, record):
    user, when = record.history_user, record.history_date
    entries = []
    if previous.status != record.status:
        kind = {STATUS.CANCELLED: "cancelled", STATUS.PENDING: "undone"}.get(record.status, "shipped")
        title = STATUS_TITLES.get(record.status, f"状态改为{record.get_status_display()}")
        entries.append(Entry(when, title, user, kind, _old_details(record)))
    lines = changes(names, tracked, previous, record, skip=("status",))
    if lines:
        entries.append(Entry(when, "修改订单", user, "changed", lines + _old_details(record)))
    elif previous.status == record.status and _old_details(record):
        entries.append(Entry(when, "修改订单", user, "changed", _old_details(record)))
    return entries


def _parcel_entries(order):
    """已发货, 已回传 and 撤销包裹 entries of every parcel holding the order's lines (two queries)."""
    parcels = list(
        Parcel.objects.filter(lines__line__order=order)
        .distinct()
        .select_related("carrier", "shipped_by", "voided_by", "platform_exported_by")
        .prefetch_related(
            models.Prefetch(
                "lines", ParcelLine.objects.select_related("line__item", "line__order", "item").order_by("pk")
            )
        )
        .order_by("-created_at", "-pk")[:TIMELINE_LIMIT]
    )
    entries = []
    for parcel in parcels:
        name = f"{parcel.carrier.name} {parcel.tracking_number}"
        units = "、".join(
            f"{pl.stock_item.sku} × {pl.quantity}"
            + (f"（订单 {pl.line.order.order_no}）" if pl.line.order_id != order.pk else "")
            for pl in parcel.lines.all()
        )
        if parcel.shipped_at:
            shipped = "补发 包裹" if parcel.kind == Parcel.Kind.REISSUE else "已发货 包裹"
            entries.append(Entry(parcel.shipped_at, f"{shipped} {name}", parcel.shipped_by, "shipped", [units]))
        if parcel.platform_exported_at:
            exported, by = parcel.platform_exported_at, parcel.platform_exported_by
            entries.append(Entry(exported, f"已回传 包裹 {name}", by, "changed", ["单号已导出到发货回传文件"]))
        if parcel.voided_at:
            entries.append(
                Entry(parcel.voided_at, f"撤销包裹 {name}", parcel.voided_by, "undone", [units, "库存已退回"])
            )
    return entries


def carrier_timeline(carrier):
    """The carrier's history, newest first."""

    def created(names, record):
        return [f"代码：{record.code}", f"单号格式：{record.tracking_number_pattern or '不校验'}"]

    entries = generic_entries(carrier, "新增快递公司", created)
    return sorted(entries, key=lambda e: e.when, reverse=True)


MAPPING_TITLES = {"+": ("新增对应", "created"), "~": ("修改对应", "changed"), "-": ("删除对应", "deleted")}


def sku_mapping_timeline(mapping):
    """The 商家编码对应's history, newest first: what the code stood for after each save.

    services.map_platform_codes writes that into each record's reason ("对应 SKU-001 × 1 + …"), so
    one query (the records with their users) tells the whole story, components included.
    """
    _baseline, records = records_of(mapping)
    entries = []
    for record in records:
        title, kind = MAPPING_TITLES[record.history_type]
        details = [record.history_change_reason] if record.history_change_reason else []
        details += [f"说明：{record.note}"] if record.note and record.history_type != "-" else []
        entries.append(Entry(record.history_date, title, record.history_user, kind, details))
    return list(reversed(entries))
