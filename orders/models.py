import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from audit.history import audited


class Carrier(models.Model):
    name = models.CharField("名称", max_length=50)
    code = models.CharField("代码", max_length=20, unique=True)
    tracking_url_template = models.CharField(
        "查询网址模板", max_length=300, blank=True, help_text="用 {number} 表示快递单号的位置。"
    )
    tracking_number_pattern = models.CharField(
        "单号格式（正则）", max_length=200, blank=True, help_text="留空表示不校验单号格式。"
    )
    tracking_number_hint = models.CharField(
        "单号格式说明",
        max_length=100,
        blank=True,
        help_text="给发货员看的单号样子，如“顺丰单号为 SF 加 12–13 位数字”；单号不符合格式时提示这句话。",
    )
    kuaidi100_code = models.CharField(
        "快递100编码", max_length=30, blank=True, help_text="快递100的快递公司编码，如 shunfeng；留空则不能下电子面单。"
    )
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=100)

    history = audited(verbose_name="快递公司历史")

    class Meta:
        verbose_name = "快递公司"
        verbose_name_plural = "快递公司"
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name

    def clean(self):
        from orders import links

        template = self.tracking_url_template
        if template and "{number}" not in template:
            raise ValidationError({"tracking_url_template": "网址模板必须包含 {number}。"})
        if template and not links.is_web_address(template.replace("{number}", "0")):
            raise ValidationError({"tracking_url_template": links.NOT_A_WEB_ADDRESS})
        if self.tracking_number_pattern:
            try:
                re.compile(self.tracking_number_pattern)
            except re.error as exc:
                # Python's own wording ("missing ), unterminated subpattern") is English: say where, in Chinese.
                where = f"第 {exc.pos + 1} 个字符附近有误。" if exc.pos is not None else ""
                message = f"不是有效的正则表达式：{where}请检查括号是否成对、特殊字符前是否加了 \\。"
                raise ValidationError({"tracking_number_pattern": message}) from exc

    def tracking_url(self, number):
        """The carrier's tracking page for `number`; "" unless it is an http(s) address."""
        from orders import links

        if not self.tracking_url_template or not number:
            return ""
        return links.web_address(self.tracking_url_template.replace("{number}", number))


class Shop(models.Model):
    """店铺: where orders come from (a platform store or the shop's own channel); one queue for all shops."""

    class Platform(models.TextChoices):
        # Stable codes: later steps (platform export import, 回传 files) key their layouts on them.
        TAOBAO = "taobao", "淘宝/天猫"
        PINDUODUO = "pinduoduo", "拼多多"
        DOUDIAN = "doudian", "抖店"
        JD = "jd", "京东"
        YOUZAN = "youzan", "有赞"
        WECHAT = "wechat", "微信小店"
        ALI1688 = "1688", "1688"
        OTHER = "other", "自营/其他"

    DEFAULT_NAME = "默认店铺"  # made by migration 0013 for the orders that predate shops

    name = models.CharField("店铺名称", max_length=50, unique=True)
    platform = models.CharField("平台", max_length=16, choices=Platform.choices, default=Platform.OTHER)
    default_ship_by_hours = models.PositiveSmallIntegerField(
        "默认发货时限（小时）",
        default=48,
        help_text="订单没有承诺发货时间时，按下单时间加上这么多小时计算。",
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "店铺"
        verbose_name_plural = "店铺"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def ship_by_for(self, ordered_at):
        """承诺发货时间 for an order placed at `ordered_at` that brings none of its own."""
        return ordered_at + timedelta(hours=self.default_ship_by_hours) if ordered_at else None


def receiver_key(order):
    """Who and where an order goes, blanks folded: orders with one key may share a parcel."""
    return tuple(
        " ".join((value or "").split()) for value in (order.receiver_name, order.receiver_phone, order.address)
    )


class Order(models.Model):
    """What a buyer bought in one checkout: a receiver and one or more lines (DESIGN.md section 1).

    `status` follows from the lines and their live parcels; only orders.services writes it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待发货"
        PARTIAL = "partial", "部分发货"
        SHIPPED = "shipped", "已发货"
        CANCELLED = "cancelled", "已取消"

    # Unique per shop (Meta.constraints); the index serves look-ups and prefix search by number alone.
    order_no = models.CharField("订单号", max_length=64, db_index=True)
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="orders", verbose_name="店铺")
    customer_id = models.CharField("用户ID", max_length=64, blank=True)
    receiver_name = models.CharField("收货人", max_length=50)
    receiver_phone = models.CharField("电话", max_length=30)
    address = models.CharField("地址", max_length=300)
    # Structured 省/市/区, filled by every path that has them (platform exports, the chat paste);
    # `address` stays the full line the courier prints.
    province = models.CharField("省", max_length=20, blank=True)
    city = models.CharField("市", max_length=30, blank=True)
    district = models.CharField("区/县", max_length=30, blank=True)
    # The platform hides the receiver (拼多多, masked ****): such an order ships only with a number
    # typed or imported back from the platform's own printing, never from a copied address.
    receiver_encrypted = models.BooleanField(
        "平台加密",
        default=False,
        help_text="平台隐藏了收货信息：只能填入或导入平台打单得到的快递单号，不能复制地址下单。",
    )
    status = models.CharField("发货状态", max_length=16, choices=Status.choices, default=Status.PENDING, editable=False)
    created_at = models.DateTimeField("下单时间", default=timezone.now)
    ship_by = models.DateTimeField(
        "承诺发货时间", null=True, blank=True, help_text="留空则按店铺的默认发货时限（下单时间起）计算。"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    note = models.TextField("备注", blank=True)
    # The 粘贴下单 confirmation this order was made from: the same confirmation sent twice (a
    # double click, the back button) finds this order instead of making a second one.
    paste_key = models.CharField("粘贴下单标识", max_length=32, null=True, blank=True, unique=True, editable=False)

    history = audited(excluded_fields=["updated_at", "paste_key"], verbose_name="订单历史")

    class Meta:
        verbose_name = "订单"
        verbose_name_plural = "订单"
        ordering = ["-created_at", "-id"]
        permissions = [
            ("change_order_details", "可修改订单号、商品、数量等订单信息"),
            ("view_shipping_report", "可以查看发货日报"),
            ("export_order", "可以导出订单"),
            ("export_full_receiver", "可导出完整收货信息（不打码）"),
        ]
        indexes = [
            # The clerk's default view: pending orders, oldest first.
            models.Index(fields=["status", "created_at"], name="orders_status_created_idx"),
            models.Index(fields=["created_at"], name="orders_created_idx"),
            # Exact and prefix search.
            models.Index(fields=["receiver_phone"], name="orders_phone_idx"),
            models.Index(fields=["receiver_name"], name="orders_receiver_idx"),
            # The pending list by deadline, and the dashboard's 已超时 / 今天到期 counts.
            models.Index(fields=["status", "ship_by"], name="orders_status_ship_by_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["shop", "order_no"], name="orders_order_shop_order_no_unique"),
        ]

    def __str__(self):
        return self.order_no

    @property
    def is_open(self):
        """Pending or partly shipped: something is still to ship."""
        return self.status in (self.Status.PENDING, self.Status.PARTIAL)

    def same_receiver(self, other):
        """Whether two orders go to the same person at the same place (one parcel may cover both)."""
        return receiver_key(self) == receiver_key(other)


class OrderLine(models.Model):
    """One item of an order (订单商品, a platform's 子订单)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name="订单")
    item = models.ForeignKey(
        "inventory.InventoryItem", on_delete=models.PROTECT, related_name="order_lines", verbose_name="商品"
    )
    quantity = models.PositiveIntegerField("数量", default=1)
    sub_order_no = models.CharField("子订单号", max_length=64, blank=True)
    # The platform's 商家编码 the line came from (a 组合装 gives several lines of one code).
    platform_code = models.CharField("商家编码", max_length=100, blank=True)

    class Meta:
        verbose_name = "订单商品"
        verbose_name_plural = "订单商品"
        ordering = ["order_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_orderline_quantity_gt_0")]
        indexes = [
            # 缺货: each item's largest line in one index dive (orders.selectors.short_order_pks).
            models.Index(fields=["item", "quantity"], name="orders_line_item_qty_idx"),
        ]

    def __str__(self):
        sku = self.item.sku if self.item_id else "?"
        return f"{sku} × {self.quantity}"


class Parcel(models.Model):
    """包裹: one carrier, one tracking number, the order lines it holds (DESIGN.md rule 4)."""

    class Status(models.TextChoices):
        # A parcel may exist before it ships (打印后扫描发货): it holds its lines and its number, and
        # moves no stock until it is handed over (已发货).
        NUMBERED = "numbered", "已取号"
        PRINTED = "printed", "已打印"
        SHIPPED = "shipped", "已发货"
        VOIDED = "voided", "已撤销"

    class Kind(models.TextChoices):
        NORMAL = "normal", "正常"
        # 补发 (a reissue or the new goods of a 换货): ships lines again without selling them again,
        # so an order's shipped units and status count NORMAL parcels only (selectors.shipped_quantities).
        REISSUE = "reissue", "补发"

    # Live parcels own their number and their lines' units; only SHIPPED ones moved stock.
    LIVE = (Status.NUMBERED, Status.PRINTED, Status.SHIPPED)
    UNSHIPPED = (Status.NUMBERED, Status.PRINTED)

    kind = models.CharField("包裹类型", max_length=16, choices=Kind.choices, default=Kind.NORMAL)
    after_sale = models.ForeignKey(
        "orders.AfterSaleCase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reissue_parcels",
        verbose_name="售后单",
    )
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="parcels", verbose_name="快递公司")
    tracking_number = models.CharField("快递单号", max_length=40)
    # The number while the parcel is live, NULL once voided: the unique constraint below is what
    # keeps two live parcels from sharing a number (MariaDB has no partial indexes).
    live_number = models.CharField(max_length=40, null=True, blank=True, editable=False)
    status = models.CharField("包裹状态", max_length=16, choices=Status.choices, default=Status.SHIPPED)
    shipped_at = models.DateTimeField("发货时间", null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发货人",
    )
    # What a USB scale typed on the scan desk when the parcel went out (kg).
    weight = models.DecimalField("重量（千克）", max_digits=7, decimal_places=3, null=True, blank=True)
    voided_at = models.DateTimeField("撤销时间", null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="撤销人",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    # When the parcel last went out in a 发货回传 file (the platform's batch-ship upload).
    platform_exported_at = models.DateTimeField("回传导出时间", null=True, blank=True)
    platform_exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="回传导出人",
    )

    class Meta:
        verbose_name = "包裹"
        verbose_name_plural = "包裹"
        ordering = ["-created_at", "-id"]
        # 发货回传: download the platform's batch-ship file, which marks its parcels as exported.
        permissions = [("export_batch_ship", "可以导出发货回传文件")]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "live_number"], name="orders_parcel_live_number_unique"),
        ]
        indexes = [
            # The daily report and the dashboard: parcels by ship time.
            models.Index(fields=["shipped_at", "id"], name="orders_parcel_shipped_idx"),
            # The dashboard's parcels per carrier per day, and the report by carrier: index-only.
            models.Index(fields=["shipped_at", "carrier", "status"], name="orders_parcel_day_carrier_idx"),
            models.Index(fields=["tracking_number"], name="orders_parcel_tracking_idx"),
            # The few parcels waiting to ship (已取号/已打印) among all the shipped ones.
            models.Index(fields=["status"], name="orders_parcel_status_idx"),
        ]

    def __str__(self):
        return self.tracking_number

    @property
    def is_live(self):
        return self.status in self.LIVE

    @property
    def is_shipped(self):
        return self.status == self.Status.SHIPPED

    @property
    def weight_text(self):
        """'1.25 千克', trailing zeros dropped; '' when not weighed."""
        return f"{self.weight.normalize():f} 千克" if self.weight is not None else ""

    @property
    def tracking_url(self):
        return self.carrier.tracking_url(self.tracking_number) if self.carrier_id else ""


class ParcelLine(models.Model):
    """包裹商品: how many of one order line a parcel holds."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="lines", verbose_name="包裹")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="parcel_lines", verbose_name="订单商品")
    quantity = models.PositiveIntegerField("数量")
    # What goes out when it is not the line's own item: a 换货 reissue of another item. NULL = line.item.
    item = models.ForeignKey(
        "inventory.InventoryItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发出商品",
    )

    class Meta:
        verbose_name = "包裹商品"
        verbose_name_plural = "包裹商品"
        ordering = ["parcel_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_parcelline_quantity_gt_0"),
        ]

    def __str__(self):
        return f"{self.parcel} {self.line}"

    @property
    def stock_item(self):
        """The inventory item this line takes off the shelf (a 换货 reissue's may differ from the line's)."""
        return self.item if self.item_id else self.line.item


class PackingCheck(models.Model):
    """验货记录: a parcel that left the scan desk after its items were scanned, or forced out without."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="packing_checks", verbose_name="包裹")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="验货人"
    )
    checked_at = models.DateTimeField("验货时间", default=timezone.now)
    forced = models.BooleanField("强制发货", default=False)
    missing = models.CharField("未清点", max_length=500, blank=True)
    scanned_units = models.PositiveIntegerField("扫描件数", default=0)
    wrong_scans = models.PositiveIntegerField("错扫次数", default=0, help_text="扫到不属于包裹的商品或多出的件数。")

    class Meta:
        verbose_name = "验货记录"
        verbose_name_plural = "验货记录"
        ordering = ["-checked_at", "-id"]

    def __str__(self):
        return f"{self.parcel} {'强制发货' if self.forced else '验货完成'}"


class ReceiverReveal(models.Model):
    """One time someone saw a receiver's full phone and address (PIPL access record)."""

    class How(models.TextChoices):
        PAGE = "page", "打开订单详情"
        COPY = "copy", "复制收货信息"
        EXPORT = "export", "导出完整信息"
        API = "api", "店铺 API 读取"

    # The log outlives the order: SET_NULL keeps the record, order_no keeps it readable.
    order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, related_name="reveals", verbose_name="订单", null=True, blank=True
    )
    order_no = models.CharField("订单号", max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="查看人"
    )
    how = models.CharField("方式", max_length=16, choices=How.choices)
    detail = models.CharField("说明", max_length=200, blank=True)
    revealed_at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "个人信息查看记录"
        verbose_name_plural = "个人信息查看记录"
        ordering = ["-revealed_at", "-id"]

    def __str__(self):
        return f"{self.user} {self.get_how_display()} {self.order_no}"


class OrderHoldQuerySet(models.QuerySet):
    def active(self, now=None):
        """Holds in force at `now`: not released, and a time hold (`until`) not yet run out."""
        now = now or timezone.now()
        return self.filter(Q(until__isnull=True) | Q(until__gt=now), released_at__isnull=True)


class OrderHold(models.Model):
    """挂起 (审单): while an order has an active hold it ships from nowhere (services.check_shipments).

    One row per hold, never deleted, so who held, why, and who released stays on record. A later
    reason (e.g. a pending refund) is one more Reason, not a new mechanism. A time hold carries
    `until` and stops holding by itself at that moment: a query condition, no job to run.
    """

    class Reason(models.TextChoices):
        BUYER_MESSAGE = "buyer_message", "买家留言"
        ADDRESS = "address", "地址异常"
        OUT_OF_STOCK = "out_of_stock", "缺货"
        MANUAL = "manual", "手工"
        LARGE_ORDER = "large_order", "件数超限"
        WAITING = "waiting", "下单后等待"
        REFUND = "refund", "退款中"

    # Reasons a clerk picks by hand; the others come from HoldRules.
    MANUAL_REASONS = (Reason.BUYER_MESSAGE, Reason.ADDRESS, Reason.OUT_OF_STOCK, Reason.MANUAL)

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds", verbose_name="订单")
    reason = models.CharField("挂起原因", max_length=20, choices=Reason.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    by_rule = models.BooleanField("规则自动挂起", default=False)
    until = models.DateTimeField("自动解除时间", null=True, blank=True)
    created_at = models.DateTimeField("挂起时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="挂起人",
    )
    released_at = models.DateTimeField("解除时间", null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="解除人",
    )

    objects = OrderHoldQuerySet.as_manager()

    class Meta:
        verbose_name = "订单挂起"
        verbose_name_plural = "订单挂起"
        ordering = ["-created_at", "-id"]
        # 挂起 and 解除挂起 from the order list and page (rows are written only by orders.services).
        permissions = [("hold_order", "可挂起和解除挂起订单")]
        indexes = [
            # The 异常/挂起 queue, the dashboard count and check_shipments: open holds, by order.
            models.Index(fields=["released_at", "order"], name="orders_hold_open_idx"),
        ]

    def __str__(self):
        return f"{self.order_id} {self.get_reason_display()}"

    @property
    def label(self):
        """挂起原因 with its note, as the row badge and the refusal show it."""
        return f"{self.get_reason_display()}：{self.note}" if self.note else self.get_reason_display()


class HoldRules(models.Model):
    """审单规则: the admin's settings that hold new orders as they are created (one row, pk 1)."""

    hold_buyer_message = models.BooleanField(
        "有买家留言时挂起", default=False, help_text="订单的备注（买家留言）不为空时，新订单自动挂起。"
    )
    max_pieces = models.PositiveIntegerField(
        "件数上限", null=True, blank=True, help_text="一单商品总件数超过此数时自动挂起；留空表示不启用。"
    )
    wait_minutes = models.PositiveIntegerField(
        "下单后等待（分钟）",
        default=0,
        help_text="新订单在下单时间之后的这段时间内不能发货（留给改地址与合并），到时自动解除；0 表示不启用。",
    )

    history = audited(verbose_name="审单规则历史")

    class Meta:
        verbose_name = "审单规则"
        verbose_name_plural = "审单规则"

    def __str__(self):
        return "审单规则"

    @classmethod
    def current(cls):
        """The rules in force (all off until an admin saves them); never writes."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class SkuMapping(models.Model):
    """商家编码 → 库存商品: a shop's platform SKU code and the items (×quantities) one piece of it is.

    One component is a plain mapping; several make a 组合装 (bundle), each component becoming an
    order line of its own so stock moves per item.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sku_mappings", verbose_name="店铺")
    platform_code = models.CharField("商家编码", max_length=100, help_text="平台导出文件里的商家编码 / SKU 编码。")
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    history = audited(verbose_name="商家编码对应历史")

    class Meta:
        verbose_name = "商家编码对应"
        verbose_name_plural = "商家编码对应"
        ordering = ["shop", "platform_code"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "platform_code"], name="orders_skumapping_shop_code_unique"),
        ]

    def __str__(self):
        return f"{self.shop} {self.platform_code}"

    @property
    def is_bundle(self):
        return len(self.components.all()) > 1


class SkuMappingComponent(models.Model):
    """One item of a mapping: `quantity` pieces of `item` per piece of the platform SKU."""

    mapping = models.ForeignKey(
        SkuMapping, on_delete=models.CASCADE, related_name="components", verbose_name="商家编码"
    )
    item = models.ForeignKey(
        "inventory.InventoryItem", on_delete=models.PROTECT, related_name="+", verbose_name="库存商品"
    )
    quantity = models.PositiveIntegerField("数量", default=1)

    class Meta:
        verbose_name = "组合商品"
        verbose_name_plural = "组合商品"
        ordering = ["mapping_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["mapping", "item"], name="orders_skumappingcomponent_item_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_skumappingcomponent_quantity_gt_0"),
        ]

    def __str__(self):
        return f"{self.item} × {self.quantity}"


def _user(verbose_name):
    """Who did one step of an after-sales case (kept when the user is deleted)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


class AfterSaleCase(models.Model):
    """售后单: one after-sales request on an order (退货退款 / 仅退款 / 换货 / 补发 / 拦截).

    Written only by orders.after_sales, one service per transition. Its lines say which order
    lines and how many it concerns; for 换货 / 补发 its reissue lines say what goes out again
    (possibly another item), shipped as a Parcel of kind 补发 through the shipping services.
    """

    class Kind(models.TextChoices):
        RETURN_REFUND = "return_refund", "退货退款"
        REFUND_ONLY = "refund_only", "仅退款"
        EXCHANGE = "exchange", "换货"
        REISSUE = "reissue", "补发"
        INTERCEPT = "intercept", "拦截"

    class Status(models.TextChoices):
        PENDING = "pending", "待处理"
        RETURNING = "returning", "退货在途"
        RECEIVED = "received", "已收货"
        COMPLETED = "completed", "已完成"
        REJECTED = "rejected", "已拒绝"
        CANCELLED = "cancelled", "已取消"

    # Kinds whose goods come back (a return parcel, counted on the scan desk); an intercepted
    # parcel comes back under its own number.
    RETURNS_GOODS = (Kind.RETURN_REFUND, Kind.EXCHANGE, Kind.INTERCEPT)
    # Kinds that send goods again (a 补发 parcel).
    SENDS_GOODS = (Kind.EXCHANGE, Kind.REISSUE)
    # Kinds that refund money: completed ones covering a whole unshipped order cancel it.
    REFUNDS = (Kind.RETURN_REFUND, Kind.REFUND_ONLY)
    # What a line's cases may claim, per pool: the units that come back or are refunded, and the
    # units sent again, each at most what shipped (仅退款: what was ordered). A 换货 draws on both;
    # a damaged piece returned on a 退货退款 may still be sent again on a 补发.
    TAKES_BACK = (Kind.RETURN_REFUND, Kind.REFUND_ONLY, Kind.EXCHANGE, Kind.INTERCEPT)
    OPEN = (Status.PENDING, Status.RETURNING, Status.RECEIVED)
    CLOSED = (Status.COMPLETED, Status.REJECTED, Status.CANCELLED)

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="after_sales", verbose_name="订单")
    kind = models.CharField("售后类型", max_length=16, choices=Kind.choices)
    status = models.CharField("售后状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField("售后原因", max_length=200, blank=True)
    note = models.TextField("备注", blank=True)
    return_carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="退货快递公司"
    )
    return_tracking_number = models.CharField("退货快递单号", max_length=40, blank=True, db_index=True)
    # 拦截: the parcel to stop on the road, and what the courier said.
    parcel = models.ForeignKey(
        Parcel, on_delete=models.PROTECT, null=True, blank=True, related_name="intercepts", verbose_name="拦截包裹"
    )
    intercept_result = models.CharField("拦截结果", max_length=200, blank=True)
    # The 退款中 hold this case put on its order (released when the case closes).
    hold = models.ForeignKey(
        OrderHold, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="退款挂起"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now, db_index=True)
    created_by = _user("创建人")
    returning_at = models.DateTimeField("退货寄出登记时间", null=True, blank=True)
    returning_by = _user("登记人")
    received_at = models.DateTimeField("收货时间", null=True, blank=True, db_index=True)
    received_by = _user("收货人")
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closed_by = _user("关闭人")

    class Meta:
        verbose_name = "售后单"
        verbose_name_plural = "售后单"
        ordering = ["-created_at", "-id"]
        permissions = [("handle_aftersalecase", "可处理售后单（收货、补发、完成、拒绝）")]
        indexes = [models.Index(fields=["status", "created_at"], name="orders_aftersale_status_idx")]

    def __str__(self):
        return f"售后单 {self.pk}"

    @property
    def is_open(self):
        return self.status in self.OPEN


class AfterSaleLine(models.Model):
    """One order line a case concerns, and (for a return) how it came back: 良品 and 次品.

    次品 is recorded here and nowhere else: it never reaches sellable stock, so it writes no
    ledger row (the ledger explains sellable stock; adjust_stocks refuses a zero delta).
    """

    case = models.ForeignKey(AfterSaleCase, on_delete=models.CASCADE, related_name="lines", verbose_name="售后单")
    line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, related_name="after_sale_lines", verbose_name="订单商品"
    )
    quantity = models.PositiveIntegerField("售后数量")
    good_quantity = models.PositiveIntegerField("良品", default=0)
    damaged_quantity = models.PositiveIntegerField("次品", default=0)

    class Meta:
        verbose_name = "售后商品"
        verbose_name_plural = "售后商品"
        ordering = ["case_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_aftersaleline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(good_quantity__lte=F("quantity") - F("damaged_quantity")),
                name="orders_aftersaleline_counted_lte_quantity",
            ),
            models.UniqueConstraint(fields=["case", "line"], name="orders_aftersaleline_case_line_unique"),
        ]

    def __str__(self):
        return f"{self.line} 售后 {self.quantity}"

    @property
    def received(self):
        return self.good_quantity + self.damaged_quantity


class AfterSaleReissue(models.Model):
    """What a 补发 / 换货 sends out again: `quantity` of `item` in place of (part of) order line `line`.

    The item may be another one than the line's (换货 to another colour); the reissue parcel's
    ParcelLine names the order line and, when it differs, this item.
    """

    case = models.ForeignKey(
        AfterSaleCase, on_delete=models.CASCADE, related_name="reissue_lines", verbose_name="售后单"
    )
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="+", verbose_name="原订单商品")
    item = models.ForeignKey(
        "inventory.InventoryItem", on_delete=models.PROTECT, related_name="+", verbose_name="补发商品"
    )
    quantity = models.PositiveIntegerField("补发数量")

    class Meta:
        verbose_name = "补发商品"
        verbose_name_plural = "补发商品"
        ordering = ["case_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_aftersalereissue_quantity_gt_0")
        ]

    def __str__(self):
        return f"{self.item} × {self.quantity}"
