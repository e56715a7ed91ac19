"""Waybills, parcel tracking and background batches for the courier API."""

from django.conf import settings
from django.db import models


class TrackingState(models.TextChoices):
    IN_TRANSIT = "in_transit", "在途"
    DELIVERING = "delivering", "派件中"
    SIGNED = "signed", "已签收"
    DIFFICULT = "difficult", "疑难"
    RETURNED = "returned", "退回"


class Sender(models.Model):
    """寄件人: printed on every e-waybill. One row, edited in the admin."""

    name = models.CharField("寄件人", max_length=50)
    phone = models.CharField("寄件人电话", max_length=30)
    address = models.CharField("寄件地址", max_length=300, help_text="省市区 + 详细地址，会打印在面单上。")
    default_carrier = models.ForeignKey(
        "orders.Carrier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="默认快递公司",
        help_text="订单未选快递公司时，电子面单使用这家。",
    )
    partner_id = models.CharField(
        "电子面单账号", max_length=100, blank=True, help_text="网点给的月结账号（partnerId）。"
    )
    partner_key = models.CharField("电子面单密码", max_length=100, blank=True, help_text="partnerKey，没有可留空。")
    template_id = models.CharField("面单模板ID", max_length=100, blank=True, help_text="快递100的模板编号（tempId）。")

    class LabelSize(models.TextChoices):
        # The CSS page size each prints on: one label per page, 1:1.
        S76X130 = "76mm 130mm", "76×130 mm（一联单）"
        S100X180 = "100mm 180mm", "100×180 mm（二联单）"
        S100X150 = "100mm 150mm", "100×150 mm"

    label_size = models.CharField(
        "面单纸尺寸",
        max_length=16,
        choices=LabelSize.choices,
        default=LabelSize.S76X130,
        help_text="热敏打印机里的面单纸。",
    )

    class ShipMode(models.TextChoices):
        # 下单即发货: the e-waybill ships the order at once (no packing step). 打印后扫描发货: the
        # parcel waits as 已取号/已打印 and ships (stock moves) when the scan desk scans its label.
        ON_WAYBILL = "on_waybill", "下单即发货"
        ON_SCAN = "on_scan", "打印后扫描发货"

    ship_mode = models.CharField(
        "发货方式",
        max_length=16,
        choices=ShipMode.choices,
        default=ShipMode.ON_WAYBILL,
        help_text="打印后扫描发货：电子面单只取号，打印面单、打包后在扫码发货页扫描面单才算发货并扣库存。",
    )

    class Meta:
        verbose_name = "寄件人"
        verbose_name_plural = "寄件人"

    def __str__(self):
        return f"{self.name} {self.phone}"


class Waybill(models.Model):
    """One e-waybill per parcel, bought for an order's remaining lines before the parcel exists.

    Written before the provider is called, so a retry reuses it (and its idempotency key); `parcel`
    is set when its parcel is made (shipped at once, or 已取号 to ship on scan). An order split
    into several parcels has one per parcel.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", "已请求（结果未知）"
        ISSUED = "issued", "已取号"
        USED = "used", "已用于包裹"
        CANCELLED = "cancelled", "已取消（不计费）"
        CANCEL_FAILED = "cancel_failed", "取消失败"

    UNUSED = (State.REQUESTED, State.ISSUED)

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="waybills", verbose_name="订单")
    parcel = models.OneToOneField(
        "orders.Parcel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waybill",
        verbose_name="包裹",
    )
    provider = models.CharField("服务商", max_length=20, default="kuaidi100")
    idempotency_key = models.CharField("幂等键", max_length=64, unique=True)
    carrier = models.ForeignKey("orders.Carrier", on_delete=models.PROTECT, related_name="+", verbose_name="快递公司")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.REQUESTED)
    task_id = models.CharField("任务ID", max_length=64, blank=True)
    tracking_number = models.CharField("快递单号", max_length=40, blank=True)
    label_url = models.URLField("面单链接", max_length=500, blank=True)
    # The label image fetched once when the waybill is issued: Kuaidi100's link expires.
    label_file = models.FileField("面单图片", upload_to="waybill-labels/%Y/%m/", blank=True)
    print_count = models.PositiveIntegerField("打印次数", default=0)
    printed_at = models.DateTimeField("最近打印时间", null=True, blank=True)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="最近打印人",
    )
    attempts = models.PositiveSmallIntegerField("请求次数", default=0)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "电子面单"
        verbose_name_plural = "电子面单"
        ordering = ["-created_at"]

    def __str__(self):
        return self.tracking_number or self.idempotency_key


class Tracking(models.Model):
    """Where a parcel is, as the provider last told us (its carrier and number are the parcel's)."""

    parcel = models.OneToOneField(
        "orders.Parcel", on_delete=models.CASCADE, related_name="tracking", verbose_name="包裹"
    )
    state = models.CharField("物流状态", max_length=16, choices=TrackingState.choices, blank=True)
    raw_state = models.CharField("原始状态码", max_length=8, blank=True)
    last_event_at = models.DateTimeField("最近轨迹时间", null=True, blank=True)
    last_polled_at = models.DateTimeField("最近查询时间", null=True, blank=True)
    subscribed_at = models.DateTimeField("订阅时间", null=True, blank=True)
    subscription_status = models.CharField("订阅状态", max_length=20, blank=True)
    last_error = models.CharField("最近错误", max_length=300, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "物流跟踪"
        verbose_name_plural = "物流跟踪"
        indexes = [models.Index(fields=["state", "last_event_at"], name="logistics_state_event_idx")]

    def __str__(self):
        return f"{self.parcel} {self.get_state_display() or '-'}"


class TraceEvent(models.Model):
    """One line of a parcel's journey (物流轨迹). The digest makes a repeated event store once."""

    parcel = models.ForeignKey(
        "orders.Parcel", on_delete=models.CASCADE, related_name="trace_events", verbose_name="包裹"
    )
    time = models.DateTimeField("时间")
    context = models.CharField("内容", max_length=500)
    status = models.CharField("状态", max_length=20, blank=True)
    area = models.CharField("地区", max_length=100, blank=True)
    digest = models.CharField(max_length=64, editable=False)
    received_at = models.DateTimeField("接收时间", auto_now_add=True)

    class Meta:
        verbose_name = "物流轨迹"
        verbose_name_plural = "物流轨迹"
        ordering = ["-time", "-id"]
        constraints = [models.UniqueConstraint(fields=["parcel", "digest"], name="logistics_trace_event_once")]

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M} {self.context}"


class PushReceipt(models.Model):
    """Every accepted push, by the digest of its signed body: a replay is recognised and ignored."""

    digest = models.CharField(max_length=64, unique=True)
    tracking_number = models.CharField("快递单号", max_length=40)
    received_at = models.DateTimeField("接收时间", auto_now_add=True)

    class Meta:
        verbose_name = "推送记录"
        verbose_name_plural = "推送记录"

    def __str__(self):
        return f"{self.tracking_number} {self.received_at:%Y-%m-%d %H:%M}"


class WaybillBatch(models.Model):
    """A background run of 电子面单下单 over many orders, with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        FINISHED = "finished", "已完成"
        FAILED = "failed", "未能启动"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="操作人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED)
    order_ids = models.JSONField("订单", default=list)
    processed_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField("总数", default=0)
    done = models.PositiveIntegerField("成功", default=0)  # shipped, or 已取号 with 打印后扫描发货
    failed = models.PositiveIntegerField("失败", default=0)
    messages = models.JSONField("结果说明", default=list)
    # The run that owns the batch (one per task execution; the newest claim wins, so a redelivered
    # or resumed run takes over and the old one stops at its next order) and when it last moved on.
    runner = models.CharField(max_length=32, blank=True, editable=False)
    heartbeat_at = models.DateTimeField("最近进展", null=True, blank=True)

    class Meta:
        verbose_name = "电子面单批次"
        verbose_name_plural = "电子面单批次"
        ordering = ["-created_at"]

    def __str__(self):
        return f"批次 {self.pk}（{self.done + self.failed}/{self.total}）"

    @property
    def processed(self):
        return self.done + self.failed

    @property
    def is_active(self):
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def last_progress_at(self):
        return self.heartbeat_at or self.created_at
