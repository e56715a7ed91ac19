from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.history import audited
from inventory.validators import validate_item_barcode, validate_product_image


class InventoryItem(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField("产品名", max_length=200)
    image = models.ImageField(
        "产品图片",
        upload_to="items/",
        blank=True,
        validators=[validate_product_image],
    )
    stock = models.IntegerField("库存", default=0, editable=False)
    low_stock_threshold = models.PositiveIntegerField("预警库存", default=10)
    # The goods' own barcode (69码 / EAN-13) for scanning at the packing desk; NULL when it has none,
    # so the unique index allows any number of items without one.
    barcode = models.CharField(
        "条码",
        max_length=14,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_item_barcode],
        error_messages={"unique": "这个条码已被另一个库存商品使用。"},
        help_text="商品包装上的条码（如 69 开头的 13 位），验货扫码时用；没有可不填。",
    )
    location = models.CharField("货位", max_length=32, blank=True, help_text="如 A-01-3；拣货单按货位排序。")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # Stock is audited by its own ledger (StockMovement), so history leaves it out.
    history = audited(excluded_fields=["stock", "updated_at"], verbose_name="库存商品历史")

    class Meta:
        verbose_name = "库存商品"
        verbose_name_plural = "库存商品"
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="inventory_item_stock_gte_0"),
        ]
        permissions = [("export_inventoryitem", "可以导出库存商品")]
        # No index on `stock`: adjust_stock's `UPDATE … WHERE id = ? AND stock >= ?` could then
        # scan that index, whose entry moves as concurrent updates change the stock, and InnoDB
        # under READ COMMITTED would report 0 rows matched while stock was there.

    def __str__(self):
        return f"{self.sku} {self.name}"

    @property
    def is_low_stock(self):
        return self.stock <= self.low_stock_threshold


class StockMovement(models.Model):
    """One change of an item's stock. Append-only: rows are never updated or deleted."""

    class Reason(models.TextChoices):
        SHIP = "ship", "发货出库"
        RESTOCK = "restock", "撤销发货回库"
        ADJUST = "adjust", "人工调整"
        COUNT = "count", "盘点"
        RECEIVE = "receive", "采购入库"
        # After-sales (orders.after_sales): a return's 良品 back on the shelf; a 补发 parcel going out.
        RETURN = "return", "退货入库"
        REISSUE = "reissue", "补发出库"

    item = models.ForeignKey(InventoryItem, on_delete=models.PROTECT, related_name="movements", verbose_name="库存商品")
    delta = models.IntegerField("变动数量")
    reason = models.CharField("原因", max_length=16, choices=Reason.choices)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_movements",
        verbose_name="订单",
    )
    parcel = models.ForeignKey(
        "orders.Parcel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_movements",
        verbose_name="包裹",
    )
    line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_movements",
        verbose_name="订单商品",
    )
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="操作人",
    )
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    balance_after = models.IntegerField("变动后库存")

    class Meta:
        verbose_name = "库存流水"
        verbose_name_plural = "库存流水"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["item", "-created_at"], name="inventory_movement_item_idx")]

    def __str__(self):
        return f"{self.item.sku} {self.delta:+d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("StockMovement is append-only; record a new movement instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("StockMovement is append-only and cannot be deleted.")
