"""The order's own item, quantity, carrier and number: now on its lines and parcels (0009 moved them)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ('orders', '0009_orders_into_lines_and_parcels'),
    ]

    operations = [
        migrations.RemoveConstraint(
                    model_name='order',
                    name='orders_order_quantity_gt_0',
                ),
        migrations.RemoveIndex(
                    model_name='order',
                    name='orders_shipped_at_idx',
                ),
        migrations.RemoveIndex(
                    model_name='order',
                    name='orders_carrier_shipped_idx',
                ),
        migrations.RemoveIndex(
                    model_name='order',
                    name='orders_tracking_idx',
                ),
        migrations.RemoveIndex(
                    model_name='order',
                    name='orders_status_shipped_idx',
                ),
        migrations.RemoveIndex(
                    model_name='order',
                    name='orders_carrier_created_idx',
                ),
        migrations.RemoveField(
                    model_name='historicalorder',
                    name='carrier',
                ),
        migrations.RemoveField(
                    model_name='historicalorder',
                    name='item',
                ),
        migrations.RemoveField(
                    model_name='historicalorder',
                    name='quantity',
                ),
        migrations.RemoveField(
                    model_name='historicalorder',
                    name='shipped_at',
                ),
        migrations.RemoveField(
                    model_name='historicalorder',
                    name='shipped_by',
                ),
        migrations.RemoveField(
                    model_name='historicalorder',
                    name='tracking_number',
                ),
        migrations.RemoveField(
                    model_name='order',
                    name='carrier',
                ),
        migrations.RemoveField(
                    model_name='order',
                    name='item',
                ),
        migrations.RemoveField(
                    model_name='order',
                    name='quantity',
                ),
        migrations.RemoveField(
                    model_name='order',
                    name='shipped_at',
                ),
        migrations.RemoveField(
                    model_name='order',
                    name='shipped_by',
                ),
        migrations.RemoveField(
                    model_name='order',
                    name='tracking_number',
                ),
    ]
