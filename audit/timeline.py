"""Readable, Chinese timelines of who changed what, built from history records and the stock ledger.

Each builder runs a fixed number of queries whatever the length of the history: records with
their users in one query, then one query per lookup table (carriers, items) the values refer to.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils import timezone

from audit.migration_ops import INITIAL_REASON
from inventory.models import InventoryItem, StockMovement
from orders.models import Carrier, Order, Parcel, ParcelLine

# Newest entries shown on an object's page; enough for any order, and an item links its full ledger.
TIMELINE_LIMIT = 100
HISTORY_FIELDS_SKIPPED = {"id"}
EMPTY = "（空）"
INITIAL_TITLE = "启用操作记录时的状态"  # rows that existed before history was switched on


def _created_title(record, title):
    # orders 0009 may have appended "[旧] …" to the initial reason: compare its start.
    return INITIAL_TITLE if (record.history_change_reason or "").startswith(INITIAL_REASON) else title


@dataclass
class Entry:
    when: datetime
    title: str
    user: object = None
    kind: str = "changed"  # css modifier: created, shipped, undone, cancelled, changed, stock, deleted
    details: list = field(default_factory=list)

    @property
    def who(self):
        if self.user is None:
            return "系统"
        return self.user.get_full_name() or self.user.get_username()


class ValueNames:
    """Displays stored values: choices by label, foreign keys by name, looked up once."""

    def __init__(self, model, records):
        self.model = model
        self.related = {}
        for model_field in model._meta.concrete_fields:
            if model_field.is_relation and model_field.name not in HISTORY_FIELDS_SKIPPED:
                ids = {getattr(r, model_field.attname) for r in records} - {None}
                target = model_field.related_model
                self.related[model_field.name] = {
                    obj.pk: str(obj) for obj in target._default_manager.filter(pk__in=ids)
                }

    def label(self, name):
        return str(self.model._meta.get_field(name).verbose_name)

    def show(self, name, record):
        model_field = self.model._meta.get_field(name)
        value = getattr(record, model_field.attname)
        if model_field.is_relation:
            return self.related[name].get(value, EMPTY if value is None else f"#{value}")
        if model_field.choices:
            return dict(model_field.flatchoices).get(value, value) or EMPTY
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(model_field, models.FileField):
            return value or "（无）"
        return str(value) if value not in (None, "") else EMPTY


def _tracked_fields(model, history_model):
    names = {f.name for f in history_model._meta.fields}
    return [f.name for f in model._meta.concrete_fields if f.name in names and f.name not in HISTORY_FIELDS_SKIPPED]


def _records(obj):
    """(baseline, records): the newest TIMELINE_LIMIT records, oldest first, and the one before them.

    The baseline is only compared against, so the oldest shown change still has its diff.
    """
    newest = obj.history.select_related("history_user").order_by("-history_date", "-history_id")
    records = list(reversed(newest[: TIMELINE_LIMIT + 1]))
    baseline = records.pop(0) if len(records) > TIMELINE_LIMIT else None
    return baseline, records


def _changes(names, tracked, previous, record, skip=()):
    """'label：old → new' for each tracked field that differs between two records."""
    lines = []
    for name in tracked:
        if name in skip:
            continue
        old, new = names.show(name, previous), names.show(name, record)
        if old != new:
            lines.append(f"{names.label(name)}：{old} → {new}")
    return lines


def _generic_entries(obj, created_title, created_details):
    """Entries for plain models: created, each change with its field diffs, deleted."""
    model = type(obj)
    previous, records = _records(obj)
    names = ValueNames(model, [*records, previous] if previous else records)
    tracked = _tracked_fields(model, obj.history.model)
    entries = []
    for record in records:
        user = record.history_user
        if record.history_type == "+":
            title = _created_title(record, created_title)
            entries.append(Entry(record.history_date, title, user, "created", created_details(names, record)))
        elif record.history_type == "-":
            entries.append(Entry(record.history_date, "已删除", user, "deleted"))
        elif previous is not None:
            lines = _changes(names, tracked, previous, record)
            if lines:
                entries.append(Entry(record.history_date, "修改", user, "changed", lines))
        previous = record
    return entries


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
    previous, records = _records(order)
    names = ValueNames(Order, [*records, previous] if previous else records)
    tracked = _tracked_fields(Order, Order.history.model)
    entries = []
    for record in records:
        user, when = record.history_user, record.history_date
        if record.history_type == "+":
            details = [f"收货人：{record.receiver_name}", *_old_details(record)]
            entries.append(Entry(when, _created_title(record, "创建订单"), user, "created", details))
        elif record.history_type == "-":
            entries.append(Entry(when, "删除订单", user, "deleted"))
        elif previous is not None:
            entries.extend(_order_change_entries(names, tracked, previous, record))
        previous = record
    entries.extend(_parcel_entries(order))
    return sorted(entries, key=lambda e: e.when, reverse=True)


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
    lines = _changes(names, tracked, previous, record, skip=("status",))
    if lines:
        entries.append(Entry(when, "修改订单", user, "changed", lines + _old_details(record)))
    elif previous.status == record.status and _old_details(record):
        entries.append(Entry(when, "修改订单", user, "changed", _old_details(record)))
    return entries


def _parcel_entries(order):
    """已发货 and 撤销包裹 entries of every parcel holding the order's lines (two queries)."""
    parcels = list(
        Parcel.objects.filter(lines__line__order=order)
        .distinct()
        .select_related("carrier", "shipped_by", "voided_by")
        .prefetch_related(
            models.Prefetch("lines", ParcelLine.objects.select_related("line__item", "line__order").order_by("pk"))
        )
        .order_by("-created_at", "-pk")[:TIMELINE_LIMIT]
    )
    entries = []
    for parcel in parcels:
        name = f"{parcel.carrier.name} {parcel.tracking_number}"
        units = "、".join(
            f"{pl.line.item.sku} × {pl.quantity}"
            + (f"（订单 {pl.line.order.order_no}）" if pl.line.order_id != order.pk else "")
            for pl in parcel.lines.all()
        )
        if parcel.shipped_at:
            entries.append(Entry(parcel.shipped_at, f"已发货 包裹 {name}", parcel.shipped_by, "shipped", [units]))
        if parcel.voided_at:
            entries.append(
                Entry(parcel.voided_at, f"撤销包裹 {name}", parcel.voided_by, "undone", [units, "库存已退回"])
            )
    return entries


def carrier_timeline(carrier):
    """The carrier's history, newest first."""

    def created(names, record):
        return [f"代码：{record.code}", f"单号格式：{record.tracking_number_pattern or '不校验'}"]

    entries = _generic_entries(carrier, "新增快递公司", created)
    return sorted(entries, key=lambda e: e.when, reverse=True)


def item_timeline(item):
    """The item's edits from its history plus its stock corrections from the ledger, newest first.

    Movements made by orders (shipping, undo, cancel) belong to the orders' timelines and the
    ledger list; here only what people did to the item itself: receipts, adjustments, counts.
    """

    def created(names, record):
        return [f"SKU：{record.sku}", f"产品名：{record.name}"]

    entries = _generic_entries(item, "新增商品", created)
    movements = (
        StockMovement.objects.filter(item=item, order__isnull=True)
        .select_related("created_by")
        .order_by("-created_at", "-id")[:TIMELINE_LIMIT]
    )
    entries.extend(_movement_entry(m) for m in movements)
    return sorted(entries, key=lambda e: e.when, reverse=True)[:TIMELINE_LIMIT]


def _movement_entry(movement):
    details = [f"变动后库存：{movement.balance_after}"]
    if movement.note:
        details.append(f"备注：{movement.note}")
    title = f"{movement.get_reason_display()} {movement.delta:+d} 件"
    return Entry(movement.created_at, title, movement.created_by, "stock", details)


TIMELINES = {Order: order_timeline, Carrier: carrier_timeline, InventoryItem: item_timeline}


def timeline_for(obj):
    """The timeline of any audited object."""
    return TIMELINES[type(obj)](obj)
