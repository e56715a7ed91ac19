"""Every order belongs to a shop, and an order number is unique per shop (DESIGN.md section 2)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0016_default_shop"),
    ]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="shop",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to="orders.shop",
                verbose_name="店铺",
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="order_no",
            field=models.CharField(db_index=True, max_length=64, verbose_name="订单号"),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.UniqueConstraint(fields=("shop", "order_no"), name="orders_order_shop_order_no_unique"),
        ),
    ]
