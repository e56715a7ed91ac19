from django.core.management.base import BaseCommand, CommandError

from inventory.models import InventoryItem
from inventory.selectors import items_with_ledger_drift
from orders.models import OrderLine
from orders.selectors import lines_with_shipping_drift, reissues_with_drift


class Command(BaseCommand):
    help = (
        "Check DESIGN.md rule 1: every item's stock equals the sum of its ledger; every order line's "
        "units in live parcels lie within its quantity and equal what the ledger moved for it, what came "
        "back on its after-sales cases does not exceed them and its 良品 equal the ledger's returns; every "
        "补发 parcel line moved its item once. Exit 1 otherwise."
    )

    def handle(self, *args, **options):
        drifted = list(items_with_ledger_drift())
        for item in drifted:
            self.stdout.write(
                f"{item.sku}\t库存 {item.stock}\t流水合计 {item.ledger_total}\t差 {item.stock - item.ledger_total:+d}"
            )
        lines = lines_with_shipping_drift()
        for row in lines:
            self.stdout.write(
                f"订单 {row.order_no}\t数量 {row.quantity}\t已发货 {row.units}\t包裹中（含待发） {row.allocated}"
                f"\t流水出库 {row.taken}"
                f"\t退回 {row.received}（良品 {row.returned}）\t流水退货入库 {row.restocked}"
            )
        reissues = reissues_with_drift()
        for line_id, item_id, units, moved in reissues:
            self.stdout.write(f"订单商品 {line_id}\t商品 {item_id}\t补发包裹中 {units}\t流水补发出库 {moved}")
        items, checked_lines = InventoryItem.objects.count(), OrderLine.objects.count()
        problems = []
        if drifted:
            problems.append(f"{len(drifted)} 个商品的库存与流水不一致（共检查 {items} 个）")
        if lines:
            problems.append(f"{len(lines)} 个订单商品的发货数量与包裹、退货或流水不一致（共检查 {checked_lines} 个）")
        if reissues:
            problems.append(f"{len(reissues)} 个补发商品与流水不一致")
        if problems:
            raise CommandError("；".join(problems) + "。")
        self.stdout.write(self.style.SUCCESS(f"库存与流水一致：共检查 {items} 个商品、{checked_lines} 个订单商品。"))
