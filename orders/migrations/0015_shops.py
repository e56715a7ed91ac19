"""Shops (店铺) and the ship-by deadline: the schema. Order.shop starts nullable; 0013 fills it, 0014 requires it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0014_order_holds"),
    ]

    operations = [
        migrations.CreateModel(
            name="Shop",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=50, unique=True, verbose_name="店铺名称")),
                (
                    "platform",
                    models.CharField(
                        choices=[
                            ("taobao", "淘宝/天猫"),
                            ("pinduoduo", "拼多多"),
                            ("doudian", "抖店"),
                            ("jd", "京东"),
                            ("youzan", "有赞"),
                            ("wechat", "微信小店"),
                            ("other", "自营/其他"),
                        ],
                        default="other",
                        max_length=16,
                        verbose_name="平台",
                    ),
                ),
                (
                    "default_ship_by_hours",
                    models.PositiveSmallIntegerField(
                        default=48,
                        help_text="订单没有承诺发货时间时，按下单时间加上这么多小时计算。",
                        verbose_name="默认发货时限（小时）",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="启用")),
            ],
            options={"verbose_name": "店铺", "verbose_name_plural": "店铺", "ordering": ["name"]},
        ),
        migrations.AddField(
            model_name="order",
            name="shop",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="orders",
                to="orders.shop",
                verbose_name="店铺",
            ),
        ),
        migrations.AddField(
            model_name="historicalorder",
            name="shop",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="orders.shop",
                verbose_name="店铺",
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="ship_by",
            field=models.DateTimeField(
                blank=True, help_text="留空则按店铺的默认发货时限（下单时间起）计算。", null=True, verbose_name="承诺发货时间"
            ),
        ),
        migrations.AddField(
            model_name="historicalorder",
            name="ship_by",
            field=models.DateTimeField(
                blank=True, help_text="留空则按店铺的默认发货时限（下单时间起）计算。", null=True, verbose_name="承诺发货时间"
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["status", "ship_by"], name="orders_status_ship_by_idx"),
        ),
    ]
