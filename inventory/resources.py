"""django-import-export resources for inventory items."""

from import_export import fields, resources, widgets

from inventory.models import InventoryItem
from oms.spreadsheet import FormulaEscapedExportMixin


class InventoryItemExportResource(FormulaEscapedExportMixin, resources.ModelResource):
    """导出库存商品: Chinese headers, every text cell formula-escaped."""

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
