import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
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
                raise ValidationError({"tracking_number_pattern": f"不是有效的正则表达式：{exc}"}) from exc

    def accepts(self, number):
        """Whether `number` has this carrier's public format (any number if no pattern is set)."""
        if not self.tracking_number_pattern:
            return True
        return re.fullmatch(self.tracking_number_pattern, number) is not None

    def tracking_url(self, number):
        """The carrier's tracking page for `number`; "" unless it is an http(s) address."""
        from orders import links

        if not self.tracking_url_template or not number:
            return ""
        return links.web_address(self.tracking_url_template.replace("{number}", number))


def receiver_key(order):
    return tuple(
        " ".join((value or "").split()) for value in (order.receiver_name, order.receiver_phone, order.address)
    )


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "待发货"
        SHIPPED = "shipped", "已发货"
        CANCELLED = "cancelled", "已取消"

    order_no = models.CharField("订单号", max_length=64, unique=True)
    customer_id = models.CharField("用户ID", max_length=64, blank=True)
    item = models.ForeignKey(
        "inventory.InventoryItem", on_delete=models.PROTECT, related_name="orders", verbose_name="商品"
    )
    quantity = models.PositiveIntegerField("数量", default=1)
    receiver_name = models.CharField("收货人", max_length=50)
    receiver_phone = models.CharField("电话", max_length=30)
    address = models.CharField("地址", max_length=300)
    status = models.CharField("发货状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    carrier = models.ForeignKey(
        Carrier, on_delete=models.PROTECT, null=True, blank=True, related_name="orders", verbose_name="快递公司"
    )
    tracking_number = models.CharField("快递单号", max_length=40, blank=True)
    shipped_at = models.DateTimeField("发货时间", null=True, blank=True, editable=False)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="发货人",
    )
    created_at = models.DateTimeField("下单时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    note = models.TextField("备注", blank=True)

    history = audited(excluded_fields=["updated_at"], verbose_name="订单历史")

    # A batch (services.ship_orders) sets this to one live_orders_by_tracking_number() look-up
    # for all its numbers, so clean() checks each order's number without a query of its own.
    numbers_in_use = None

    class Meta:
        verbose_name = "订单"
        verbose_name_plural = "订单"
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="orders_order_quantity_gt_0")]
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
            # The daily report and the ship-date filter.
            models.Index(fields=["shipped_at"], name="orders_shipped_at_idx"),
            models.Index(fields=["carrier", "shipped_at"], name="orders_carrier_shipped_idx"),
            # The report and the dashboard. id right after shipped_at: the CSV's keyset chunks
            # (ORDER BY shipped_at, id) read it in order without a sort; carrier and quantity
            # make it covering for the sums per carrier and the 14-day chart.
            models.Index(
                fields=["status", "shipped_at", "id", "carrier", "quantity"], name="orders_status_shipped_idx"
            ),
            # The carrier filter on the list, newest first: without it a rarely used carrier
            # means walking the whole created_at index backwards to fill one page.
            models.Index(fields=["carrier", "created_at"], name="orders_carrier_created_idx"),
            # Exact and prefix search.
            models.Index(fields=["tracking_number"], name="orders_tracking_idx"),
            models.Index(fields=["receiver_phone"], name="orders_phone_idx"),
            models.Index(fields=["receiver_name"], name="orders_receiver_idx"),
        ]

    def __str__(self):
        return self.order_no

    def save(self, *args, **kwargs):
        # Rule 2: read the stored status under a row lock, in the same transaction as the
        # write, so the post_save handler sees the true transition exactly once.
        with transaction.atomic(using=kwargs.get("using")):
            previous = None
            if self.pk is not None:
                previous = (
                    Order.objects.select_for_update().filter(pk=self.pk).values("status", "item_id", "quantity").first()
                )
            self._previous_status = previous["status"] if previous else None
            if (
                previous
                and previous["status"] == self.Status.SHIPPED
                and (previous["item_id"] != self.item_id or previous["quantity"] != self.quantity)
            ):
                raise ValidationError("已发货的订单不能修改商品或数量，请先撤销发货。")
            self.stamp_transition(self._previous_status)
            super().save(*args, **kwargs)
            self.mark_saved()

    def stamp_transition(self, previous_status, now=None):
        """Set who shipped and when for a move from `previous_status` to the current status."""
        if self.status == self.Status.SHIPPED and previous_status != self.Status.SHIPPED:
            self.shipped_at = now or timezone.now()
            self.shipped_by = getattr(self, "changed_by", None) or self.shipped_by
        elif self.status == self.Status.PENDING:
            self.shipped_at = None
            self.shipped_by = None

    def mark_saved(self):
        """Remember the stored status and shipping, against which the next edit is compared."""
        self._loaded_status = self.status
        self._loaded_shipping = (self.carrier_id, self.tracking_number)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_shipping = (instance.__dict__.get("carrier_id"), instance.__dict__.get("tracking_number"))
        instance._loaded_status = instance.__dict__.get("status")
        return instance

    def completes_shipping(self):
        """True when this edit gives a pending order a carrier and tracking number (rule 3)."""
        return (
            self.status == self.Status.PENDING
            and getattr(self, "_loaded_status", self.Status.PENDING) == self.Status.PENDING
            and bool(self.carrier_id and self.tracking_number)
            and self.tracking_number_changed()
        )

    def same_receiver(self, other):
        """Whether two orders go to the same person at the same place (one parcel may cover both)."""
        return receiver_key(self) == receiver_key(other)

    def tracking_number_changed(self):
        return (self.carrier_id, self.tracking_number) != getattr(self, "_loaded_shipping", (None, ""))

    def fill_carrier_from_number(self):
        """Give a pending order with a newly typed number and no carrier the one carrier it fits."""
        from orders.carriers import describe_guess_problem, guess_carriers

        if self.carrier_id or not self.tracking_number or self.status == self.Status.CANCELLED:
            return
        if getattr(self, "_loaded_status", None) == self.Status.SHIPPED or not self.tracking_number_changed():
            return
        guesses = guess_carriers(self.tracking_number)
        if len(guesses) == 1:
            self.carrier = guesses[0]
        else:
            raise ValidationError({"carrier": describe_guess_problem(self.tracking_number, guesses)})

    @classmethod
    def live_orders_by_tracking_number(cls, numbers):
        """{number: [orders]} for the non-cancelled orders using any of `numbers` (an indexed query per 1,000)."""
        found = {}
        numbers = sorted(set(numbers))
        for start in range(0, len(numbers), 1000):
            rows = (
                cls.objects.filter(tracking_number__in=numbers[start : start + 1000])
                .exclude(status=cls.Status.CANCELLED)
                .only("order_no", "tracking_number", "receiver_name", "receiver_phone", "address")
                .order_by("created_at", "id")
            )
            for order in rows:
                found.setdefault(order.tracking_number, []).append(order)
        return found

    def check_tracking_number_unused(self, live_orders=None):
        """Refuse a number already on another live order, unless it goes to the same receiver.

        Sets `consolidated_with` to the order numbers sharing the parcel (合并发货). A batch may
        pass `live_orders` from live_orders_by_tracking_number() instead of a query per order.
        """
        if live_orders is None:
            live_orders = self.live_orders_by_tracking_number([self.tracking_number])
        self.consolidated_with = []
        for other in live_orders.get(self.tracking_number, []):
            if other.pk == self.pk:
                continue
            if not self.same_receiver(other):
                raise ValidationError(
                    {
                        "tracking_number": (
                            f"快递单号“{self.tracking_number}”已用于订单 {other.order_no}（收货人不同），"
                            "请核对单号。同一收货人的订单才能合并发货。"
                        )
                    }
                )
            self.consolidated_with.append(other.order_no)

    def clean(self):
        self.tracking_number = (self.tracking_number or "").strip().upper()
        self.fill_carrier_from_number()
        if self.completes_shipping():
            self.status = self.Status.SHIPPED
        if self.status == self.Status.SHIPPED and getattr(self, "_loaded_status", None) == self.Status.CANCELLED:
            raise ValidationError({"status": "已取消的订单不能直接发货，请先改回待发货。"})
        if self.status == self.Status.SHIPPED:
            errors = {}
            if not self.carrier_id:
                errors["carrier"] = "已发货的订单必须选择快递公司。"
            if not self.tracking_number:
                errors["tracking_number"] = "已发货的订单必须填写快递单号。"
            elif self.carrier_id and not self.carrier.accepts(self.tracking_number):
                errors["tracking_number"] = (
                    f"快递单号“{self.tracking_number}”不符合{self.carrier.name}的单号格式，请核对后重新输入。"
                )
            if errors:
                raise ValidationError(errors)
            if self.tracking_number_changed() or getattr(self, "_loaded_status", None) != self.Status.SHIPPED:
                self.check_tracking_number_unused(self.numbers_in_use)

    @property
    def tracking_url(self):
        return self.carrier.tracking_url(self.tracking_number) if self.carrier_id else ""


class ReceiverReveal(models.Model):
    """One time someone saw a receiver's full phone and address (PIPL access record)."""

    class How(models.TextChoices):
        PAGE = "page", "打开订单详情"
        COPY = "copy", "复制收货信息"
        EXPORT = "export", "导出完整信息"

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
