"""A migration step that gives rows which existed before history was switched on a starting record."""

from django.db import migrations
from django.utils import timezone

INITIAL_REASON = "建立历史记录"
HISTORY_ONLY = {"history_id", "history_date", "history_change_reason", "history_type", "history_user_id"}


def record_existing_rows(app_label, *model_names, batch_size=2000):
    """RunPython operation: one '+' history row per existing row, in batches (no per-row saves)."""

    def forwards(apps, schema_editor):
        now = timezone.now()
        for name in model_names:
            model = apps.get_model(app_label, name)
            history = apps.get_model(app_label, f"Historical{name}")
            fields = [f.attname for f in history._meta.concrete_fields if f.attname not in HISTORY_ONLY]
            batch = []
            for obj in model._default_manager.order_by("pk").iterator(chunk_size=batch_size):
                values = {field: getattr(obj, field) for field in fields}
                batch.append(
                    history(history_date=now, history_type="+", history_change_reason=INITIAL_REASON, **values)
                )
                if len(batch) >= batch_size:
                    history._default_manager.bulk_create(batch)
                    batch = []
            history._default_manager.bulk_create(batch)

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)
