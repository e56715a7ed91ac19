from django.core.management.base import BaseCommand, CommandError

from inventory.models import InventoryItem
from inventory.selectors import items_with_ledger_drift
from orders.models import OrderLine
from orders.selectors import lines_with_shipping_drift


class Command(BaseCommand):
    help = (
        "Check DESIGN.md rule 1: every item's stock equals the sum of its ledger, and every order line's "
        "units in live parcels lie within its quantity and equal what the ledger moved for it. Exit 1 otherwise."
    )

    def handle(self, *args, **options):
        drifted = list(items_with_ledger_drift())
        for item in drifted:
            self.stdout.write(
                f"{item.sku}\t库存 {item.stock}\t流水合计 {item.ledger_total}\t差 {item.stock - item.ledger_total:+d}"
            )
        lines = lines_with_shipping_drift()
        for _pk, order_no, quantity, units, taken in lines:
            self.stdout.write(f"订单 {order_no}\t数量 {quantity}\t包裹中 {units}\t流水出库 {taken}")
        items, checked_lines = InventoryItem.objects.count(), OrderLine.objects.count()
        problems = []
        if drifted:
            problems.append(f"{len(drifted)} 个商品的库存与流水不一致（共检查 {items} 个）")
        if lines:
            problems.append(f"{len(lines)} 个订单商品的发货数量与包裹或流水不一致（共检查 {checked_lines} 个）")
        if problems:
            raise CommandError("；".join(problems) + "。")
        self.stdout.write(self.style.SUCCESS(f"库存与流水一致：共检查 {items} 个商品、{checked_lines} 个订单商品。"))
