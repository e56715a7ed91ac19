"""Waybills, trackings and trace events belong to parcels (issue 14: an order may have several).

A waybill keeps its order (one order may get a second waybill for a second parcel) and gains the
parcel it shipped; a USED waybill finds its parcel by carrier and number. Each order's Tracking and
TraceEvents move to that order's live parcel. Rows of orders without a live parcel are deleted (the
trace of a parcel that no longer exists), and where orders shared one parcel (合并发货) the parcel
keeps the oldest Tracking and one copy of each event. Set-based SQL: a handful of statements.
"""

import django.db.models.deletion
from django.db import migrations, models

# The order's live parcel: the lowest id among the live parcels holding one of its lines.
LIVE_PARCEL_OF = """
(SELECT MIN(pl.parcel_id)
 FROM orders_parcelline pl
 JOIN orders_orderline ol ON ol.id = pl.line_id
 JOIN orders_parcel p ON p.id = pl.parcel_id
 WHERE ol.order_id = {table}.order_id AND p.status = 'shipped')
"""

MOVE = [
    """
    UPDATE logistics_waybill SET parcel_id = (
        SELECT p.id FROM orders_parcel p
        WHERE p.carrier_id = logistics_waybill.carrier_id AND p.live_number = logistics_waybill.tracking_number
    )
    WHERE state = 'used' AND tracking_number <> ''
    """,
    f"UPDATE logistics_tracking SET parcel_id = {LIVE_PARCEL_OF.format(table='logistics_tracking')}",
    "DELETE FROM logistics_tracking WHERE parcel_id IS NULL",
    # The derived table is materialised first (MariaDB refuses a subquery on the table it deletes from).
    """
    DELETE FROM logistics_tracking WHERE id NOT IN (
        SELECT keep FROM (SELECT MIN(id) AS keep FROM logistics_tracking GROUP BY parcel_id) AS kept
    )
    """,
    f"UPDATE logistics_traceevent SET parcel_id = {LIVE_PARCEL_OF.format(table='logistics_traceevent')}",
    "DELETE FROM logistics_traceevent WHERE parcel_id IS NULL",
    """
    DELETE FROM logistics_traceevent WHERE id NOT IN (
        SELECT keep FROM (SELECT MIN(id) AS keep FROM logistics_traceevent GROUP BY parcel_id, digest) AS kept
    )
    """,
]


class Migration(migrations.Migration):
    dependencies = [
        ("logistics", "0001_initial"),
        ("orders", "0010_drop_order_shipping_fields"),
    ]

    operations = [
        migrations.AlterField(
            model_name="waybill",
            name="order",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="waybills",
                to="orders.order",
                verbose_name="订单",
            ),
        ),
        migrations.AddField(
            model_name="waybill",
            name="parcel",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="waybill",
                to="orders.parcel",
                verbose_name="包裹",
            ),
        ),
        # Plain nullable keys first: merged orders' rows share a parcel until the duplicates go.
        migrations.AddField(
            model_name="tracking",
            name="parcel",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="orders.parcel"
            ),
        ),
        migrations.AddField(
            model_name="traceevent",
            name="parcel",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="orders.parcel"
            ),
        ),
        migrations.RemoveConstraint(model_name="traceevent", name="logistics_trace_event_once"),
        # Backwards the rows cannot find their order again: going back empties them.
        migrations.RunSQL(MOVE, reverse_sql=["DELETE FROM logistics_traceevent", "DELETE FROM logistics_tracking"]),
        migrations.RemoveField(model_name="tracking", name="order"),
        migrations.RemoveField(model_name="tracking", name="company"),
        migrations.RemoveField(model_name="tracking", name="tracking_number"),
        migrations.RemoveField(model_name="traceevent", name="order"),
        migrations.RemoveField(model_name="traceevent", name="tracking_number"),
        migrations.RemoveField(model_name="sender", name="cargo"),
        migrations.AlterField(
            model_name="tracking",
            name="parcel",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tracking",
                to="orders.parcel",
                verbose_name="包裹",
            ),
        ),
        migrations.AlterField(
            model_name="traceevent",
            name="parcel",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="trace_events",
                to="orders.parcel",
                verbose_name="包裹",
            ),
        ),
        migrations.AddConstraint(
            model_name="traceevent",
            constraint=models.UniqueConstraint(fields=("parcel", "digest"), name="logistics_trace_event_once"),
        ),
    ]
