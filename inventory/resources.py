"""django-import-export resources for inventory items: the export and the stock count import (盘点导入)."""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.instance_loaders import CachedInstanceLoader

from inventory.models import InventoryItem
from inventory.services import set_counted_stocks
from inventory.validators import MAX_QUANTITY
from spreadsheets.resources import AllOrNothingImport, text_column, whole_number


class InventoryItemExportResource(resources.ModelResource):
    """导出库存商品: Chinese headers (the admin's writers escape every text cell, spreadsheets.writing)."""

    sku = fields.Field(attribute="sku", column_name="SKU")
    name = fields.Field(attribute="name", column_name="产品名")
    stock = fields.Field(attribute="stock", column_name="库存", widget=widgets.IntegerWidget())
    low_stock_threshold = fields.Field(
        attribute="low_stock_threshold", column_name="预警库存", widget=widgets.IntegerWidget()
    )
    low_stock = fields.Field(column_name="低库存")

    class Meta:
        model = InventoryItem
        fields = ("sku", "name", "stock", "low_stock_threshold", "low_stock")
        export_order = fields

    def dehydrate_low_stock(self, item):
        return "是" if item.is_low_stock else "否"


class StockCountImportResource(AllOrNothingImport, resources.ModelResource):
    """Each counted item's difference to the books becomes one 盘点 movement in the ledger."""

    sku = text_column("sku", "SKU")
    counted = text_column(None, "盘点库存")

    key_column = "SKU"
    key_noun = "SKU"
    column_aliases = {"sku": "SKU", "盘点数量": "盘点库存", "实盘数量": "盘点库存", "实际库存": "盘点库存"}
    outcome_labels = {"update": ("将调整", "已调整"), "skip": ("无变化", "无变化")}

    class Meta:
        model = InventoryItem
        name = "盘点导入"
        fields = ("sku", "counted")
        import_id_fields = ("sku",)
        instance_loader_class = CachedInstanceLoader
        skip_diff = True
        use_transactions = True
        # Checked rows are recorded by write_rows(), 1,000 at a time.
        use_bulk = True
        batch_size = 1000

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.counts = {}

    def import_instance(self, instance, row, **kwargs):
        sku = self.fields["sku"].clean(row)
        counted = self.fields["counted"].clean(row)
        problems = []
        if not sku:
            problems.append("SKU 为空。")
        elif instance.pk is None:
            problems.append(f"SKU {sku} 不存在。")
        elif self.repeated_key_problem(sku):
            problems.append(self.repeated_key_problem(sku))
        try:
            counted = whole_number(counted, "盘点库存", maximum=MAX_QUANTITY)
        except ValidationError as exc:
            problems.extend(exc.messages)
        if problems:
            raise ValidationError(problems)
        self.counts[instance.pk] = counted
        delta = counted - instance.stock
        if delta == 0:
            self.row_skip = True
            self.row_plan = f"与账面一致（{instance.stock} 件），无需调整"
        else:
            self.row_plan = f"{instance.name}：账面 {instance.stock} 件 → 盘点 {counted} 件（{delta:+d}）"

    def write_rows(self, items):
        note = f"盘点导入 {self.file_name}".strip()[:200]
        set_counted_stocks([(item, self.counts[item.pk]) for item in items], user=self.user, note=note)
