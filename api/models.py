"""The storefront API's data: the clients (one per integration), their calls, their webhooks out."""

import uuid

from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    ORDERS_WRITE = "orders:write", "推送、取消订单"
    ORDERS_READ = "orders:read", "读取订单与包裹"
    STOCK_READ = "stock:read", "读取库存"
    RECEIVER_READ = "receiver:read", "读取完整收货信息"


class ApiClient(models.Model):
    """One integration (a shop's own store): its key, what it may do, where its webhooks go.

    The key is `<prefix>.<secret>`: found by `prefix`, the secret compared by its SHA-256 only
    (api.keys); it is shown once, when the client is made. `webhook_secret` signs the webhooks
    out, so it is kept as it is.
    """

    name = models.CharField("名称", max_length=50, unique=True)
    shop = models.ForeignKey("orders.Shop", on_delete=models.PROTECT, related_name="api_clients", verbose_name="店铺")
    scopes = models.JSONField("权限", default=list, help_text="orders:write / orders:read / stock:read / receiver:read")
    key_prefix = models.CharField("密钥前缀", max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    webhook_url = models.URLField(
        "回调地址", max_length=300, blank=True, help_text="发货、撤销发货、取消订单时 POST 到这个地址；留空则不回调。"
    )
    webhook_secret = models.CharField("回调签名密钥", max_length=64, editable=False)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API 客户端"
        verbose_name_plural = "API 客户端"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.revoked_at is None

    def has_scope(self, scope):
        return scope in self.scopes


class ApiCall(models.Model):
    """One request to /api/: who (None when the key was missing or wrong), what, and the answer."""

    client = models.ForeignKey(
        ApiClient, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls", verbose_name="客户端"
    )
    method = models.CharField("方法", max_length=8)
    path = models.CharField("路径", max_length=300)
    status_code = models.PositiveSmallIntegerField("状态码")
    duration_ms = models.PositiveIntegerField("耗时（毫秒）")
    called_at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "API 调用记录"
        verbose_name_plural = "API 调用记录"
        ordering = ["-called_at", "-id"]
        indexes = [models.Index(fields=["client", "called_at"], name="api_call_client_time_idx")]

    def __str__(self):
        return f"{self.method} {self.path} {self.status_code}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a client sent with a create: the same key later must carry the same body."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    body_hash = models.CharField(max_length=64)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_client_key_unique")]

    def __str__(self):
        return self.key


class WebhookDelivery(models.Model):
    """One event for one client's webhook URL, with every attempt to deliver it (WebhookAttempt)."""

    class Event(models.TextChoices):
        PARCEL_SHIPPED = "parcel.shipped", "包裹已发货"
        PARCEL_VOIDED = "parcel.voided", "包裹已撤销"
        ORDER_CANCELLED = "order.cancelled", "订单已取消"

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        DELIVERED = "delivered", "已送达"
        FAILED = "failed", "失败"

    event_id = models.UUIDField("事件ID", default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="deliveries", verbose_name="客户端")
    event = models.CharField("事件", max_length=32, choices=Event.choices)
    order_no = models.CharField("订单号", max_length=64)
    body = models.TextField("内容")  # the exact JSON sent, so every attempt signs the same bytes
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_status_code = models.PositiveSmallIntegerField("最后状态码", null=True, blank=True)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = "回调记录"
        verbose_name_plural = "回调记录"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="api_delivery_status_idx")]

    def __str__(self):
        return f"{self.get_event_display()} {self.order_no}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: the answer's status code, or why there was none."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField("时间", default=timezone.now)
    status_code = models.PositiveSmallIntegerField("状态码", null=True, blank=True)
    error = models.CharField("错误", max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField("耗时（毫秒）", default=0)

    class Meta:
        verbose_name = "回调尝试"
        verbose_name_plural = "回调尝试"
        ordering = ["delivery_id", "id"]

    def __str__(self):
        return f"{timezone.localtime(self.attempted_at):%Y-%m-%d %H:%M:%S}"
