from django.core.management.base import BaseCommand, CommandError

from inventory.models import InventoryItem
from inventory.selectors import items_with_ledger_drift


class Command(BaseCommand):
    help = "Check that every item's stock equals the sum of its ledger; exit 1 on any difference."

    def handle(self, *args, **options):
        drifted = list(items_with_ledger_drift())
        for item in drifted:
            self.stdout.write(
                f"{item.sku}\t库存 {item.stock}\t流水合计 {item.ledger_total}\t差 {item.stock - item.ledger_total:+d}"
            )
        checked = InventoryItem.objects.count()
        if drifted:
            raise CommandError(f"{len(drifted)} 个商品的库存与流水不一致（共检查 {checked} 个）。")
        self.stdout.write(self.style.SUCCESS(f"库存与流水一致：共检查 {checked} 个商品。"))
