"""What every app's timeline is built from: entries, history records read in one query, value names.

Each app owns its builder (orders.timeline, inventory.timeline) and its admin names it; each runs a
fixed number of queries whatever the length of the history: records with their users in one query,
then one query per lookup table the values refer to.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils import timezone

from audit.migration_ops import INITIAL_REASON

# Newest entries shown on an object's page; enough for any order, and an item links its full ledger.
TIMELINE_LIMIT = 100
HISTORY_FIELDS_SKIPPED = {"id"}
EMPTY = "（空）"
INITIAL_TITLE = "启用操作记录时的状态"  # rows that existed before history was switched on


def created_title(record, title):
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


def tracked_fields(model, history_model):
    names = {f.name for f in history_model._meta.fields}
    return [f.name for f in model._meta.concrete_fields if f.name in names and f.name not in HISTORY_FIELDS_SKIPPED]


def records_of(obj):
    """(baseline, records): the newest TIMELINE_LIMIT records, oldest first, and the one before them.

    The baseline is only compared against, so the oldest shown change still has its diff.
    """
    newest = obj.history.select_related("history_user").order_by("-history_date", "-history_id")
    records = list(reversed(newest[: TIMELINE_LIMIT + 1]))
    baseline = records.pop(0) if len(records) > TIMELINE_LIMIT else None
    return baseline, records


def changes(names, tracked, previous, record, skip=()):
    """'label：old → new' for each tracked field that differs between two records."""
    lines = []
    for name in tracked:
        if name in skip:
            continue
        old, new = names.show(name, previous), names.show(name, record)
        if old != new:
            lines.append(f"{names.label(name)}：{old} → {new}")
    return lines


def generic_entries(obj, title_when_created, created_details):
    """Entries for plain models: created, each change with its field diffs, deleted."""
    model = type(obj)
    previous, records = records_of(obj)
    names = ValueNames(model, [*records, previous] if previous else records)
    tracked = tracked_fields(model, obj.history.model)
    entries = []
    for record in records:
        user = record.history_user
        if record.history_type == "+":
            title = created_title(record, title_when_created)
            entries.append(Entry(record.history_date, title, user, "created", created_details(names, record)))
        elif record.history_type == "-":
            entries.append(Entry(record.history_date, "已删除", user, "deleted"))
        elif previous is not None:
            lines = changes(names, tracked, previous, record)
            if lines:
                entries.append(Entry(record.history_date, "修改", user, "changed", lines))
        previous = record
    return entries
