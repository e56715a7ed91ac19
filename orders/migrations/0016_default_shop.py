"""Every order that predates shops goes to 默认店铺 (自营/其他), with its ship-by 48 hours after it was placed.

One UPDATE over the order table whatever its size (docs/BENCHMARKS.md has the figure at 100,000
orders); the history rows keep shop NULL (they describe the orders before shops existed).
"""

from datetime import timedelta

from django.db import migrations
from django.db.models import F

DEFAULT_NAME = "默认店铺"
DEFAULT_HOURS = 48


def orders_into_default_shop(apps, schema_editor):
    Shop = apps.get_model("orders", "Shop")
    Order = apps.get_model("orders", "Order")
    shop, _created = Shop.objects.get_or_create(
        name=DEFAULT_NAME, defaults={"platform": "other", "default_ship_by_hours": DEFAULT_HOURS}
    )
    Order.objects.filter(shop__isnull=True).update(
        shop=shop, ship_by=F("created_at") + timedelta(hours=DEFAULT_HOURS)
    )


def orders_out_of_shops(apps, schema_editor):
    # 0012's reverse drops the columns; only the default shop is left to remove (0014 reversed first).
    apps.get_model("orders", "Order").objects.update(shop=None, ship_by=None)
    apps.get_model("orders", "Shop").objects.filter(name=DEFAULT_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0015_shops"),
    ]

    operations = [migrations.RunPython(orders_into_default_shop, orders_out_of_shops)]
