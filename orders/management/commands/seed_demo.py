import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from inventory.models import InventoryItem, StockMovement
from inventory.services import adjust_stock
from orders import demo, services
from orders.models import Carrier, Order


class Command(BaseCommand):
    help = "Fill an empty database with demo items (with pictures) and about 200 orders in every status."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=200)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true", help="add demo data even if orders exist")
        parser.add_argument("--if-empty", action="store_true", help="do nothing (exit 0) if orders exist")

    def handle(self, *args, **options):
        if Order.objects.exists() and not options["force"]:
            if options["if_empty"]:
                self.stdout.write("数据库里已有订单，跳过演示数据。")
                return
            raise CommandError("数据库里已有订单，未做任何改动。确实要再写入演示数据请加 --force。")
        rng = random.Random(options["seed"])
        carriers = list(Carrier.objects.filter(is_active=True))
        if not carriers:
            raise CommandError("没有启用的快递公司，请先运行 migrate。")
        clerk = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        with transaction.atomic():
            items = self.create_items(rng, clerk)
            counts = self.create_orders(rng, items, carriers, clerk, options["orders"])
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已写入：{len(items)} 个商品，订单 待发货 {counts['pending']} / "
                f"已发货 {counts['shipped']} / 已取消 {counts['cancelled']}。"
            )
        )

    def create_items(self, rng, clerk):
        items = []
        # With --force on a seeded database, a batch prefix keeps SKUs unique.
        batch = "" if not InventoryItem.objects.exists() else timezone.localtime().strftime("%H%M%S-")
        for index, name in enumerate(demo.PRODUCTS):
            sku = f"SKU-{batch}{index + 1:03d}"
            item = InventoryItem(sku=sku, name=name, low_stock_threshold=10)
            item.image.save(
                f"{sku}.png", ContentFile(demo.product_picture(name, index, len(demo.PRODUCTS))), save=False
            )
            item.save()
            # A few items start short so that 低库存 shows up in the demo.
            initial = rng.randint(3, 8) if index % 7 == 3 else rng.randint(40, 200)
            adjust_stock(item, initial, StockMovement.Reason.RECEIVE, user=clerk, note="期初库存")
            items.append(item)
        return items

    def create_orders(self, rng, items, carriers, clerk, total):
        now = timezone.now()
        counts = {"pending": 0, "shipped": 0, "cancelled": 0}
        prefix = timezone.localtime(now).strftime("%y%m%d") + ("" if not Order.objects.exists() else "9")
        for n in range(total):
            created = now - timedelta(days=14) * (1 - n / total) - timedelta(minutes=rng.randint(0, 90))
            order = Order.objects.create(
                order_no=f"DD{prefix}{n + 1:04d}",
                customer_id=f"U{rng.randint(10000, 99999)}",
                item=rng.choice(items),
                quantity=rng.choice([1, 1, 1, 2, 2, 3]),
                receiver_name=demo.person_name(rng),
                receiver_phone=demo.phone(rng),
                address=demo.address(rng),
                created_at=created,
            )
            age_days = (now - created).days
            roll = rng.random()
            if roll < 0.08:
                services.cancel_order(order, user=clerk)
                counts["cancelled"] += 1
            elif (age_days >= 1 and roll < 0.85) or age_days >= 3:
                carrier = rng.choice(carriers)
                try:
                    services.ship_order(order, carrier, demo.tracking_number(carrier.code, rng), user=clerk)
                except services.InsufficientStock:
                    counts["pending"] += 1
                    continue
                # Demo history: ship a few hours after the order was placed, not "now".
                Order.objects.filter(pk=order.pk).update(
                    shipped_at=min(created + timedelta(hours=rng.randint(2, 30)), now)
                )
                counts["shipped"] += 1
            else:
                counts["pending"] += 1
        return counts
