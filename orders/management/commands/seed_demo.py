import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from orders import demo, selectors
from orders.models import Carrier, Order


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo items (with pictures) and about 200 orders: single- and multi-line, "
        "merged and split parcels, a voided parcel, cancelled orders — all through the services."
    )

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
        carriers = list(Carrier.objects.filter(is_active=True))
        if not carriers:
            raise CommandError("没有启用的快递公司，请先运行 migrate。")
        # The first superuser ships the demo parcels (scripts/demo.sh creates the users first).
        clerk = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        with transaction.atomic():
            shop = demo.seed_shop(options["orders"], rng=random.Random(options["seed"]), carriers=carriers, user=clerk)
        statuses = dict.fromkeys(Order.Status.values, 0)
        for status in Order.objects.filter(pk__in=[o.pk for o in shop.orders]).values_list("status", flat=True):
            statuses[status] += 1
        parcels = shop.parcels
        short = len(selectors.shortages_by_order(o.pk for o in shop.orders))
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已写入：{len(shop.items)} 个商品，{len(shop.orders)} 个订单"
                f"（待发货 {statuses['pending']} / 部分发货 {statuses['partial']} / 已发货 {statuses['shipped']} / "
                f"已取消 {statuses['cancelled']}；缺货 {short}），"
                f"{parcels['parcels']} 个包裹（合并发货 {parcels['merged']}、"
                f"拆单 {parcels['split'] + parcels['partial']}、已撤销 {parcels['voided']}）。"
            )
        )
