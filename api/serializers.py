"""What the API reads and answers. Validation of a new order lives here; writing it, in api.services."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import InventoryItem
from inventory.validators import MAX_QUANTITY
from orders.models import Order, OrderLine
from orders.privacy import mask_phone, short_address

ORDER = Order._meta
LINE = OrderLine._meta


def _max_length(meta, name):
    return meta.get_field(name).max_length


def unknown_sku_message(sku):
    """The import's wording for the same refusal (orders.resources), so the shop reads one sentence."""
    return f"SKU {sku} 不存在，请先在库存商品中添加。"


# --- In: a new order --------------------------------------------------------------------------


class ReceiverInSerializer(serializers.Serializer):
    name = serializers.CharField(label="收货人", max_length=_max_length(ORDER, "receiver_name"))
    phone = serializers.CharField(label="电话", max_length=_max_length(ORDER, "receiver_phone"))
    address = serializers.CharField(label="地址", max_length=_max_length(ORDER, "address"))
    province = serializers.CharField(label="省", max_length=_max_length(ORDER, "province"), required=False, default="")
    city = serializers.CharField(label="市", max_length=_max_length(ORDER, "city"), required=False, default="")
    district = serializers.CharField(
        label="区/县", max_length=_max_length(ORDER, "district"), required=False, default=""
    )


class LineInSerializer(serializers.Serializer):
    sku = serializers.CharField(label="SKU", max_length=InventoryItem._meta.get_field("sku").max_length)
    quantity = serializers.IntegerField(label="数量", min_value=1, max_value=MAX_QUANTITY)
    sub_order_no = serializers.CharField(
        label="子订单号", max_length=_max_length(LINE, "sub_order_no"), required=False, default="", allow_blank=True
    )


class OrderCreateSerializer(serializers.Serializer):
    """A new order from the store; the shop is the API client's."""

    order_no = serializers.CharField(label="订单号", max_length=_max_length(ORDER, "order_no"))
    customer_id = serializers.CharField(
        label="用户ID", max_length=_max_length(ORDER, "customer_id"), required=False, default="", allow_blank=True
    )
    receiver = ReceiverInSerializer(label="收货信息")
    lines = LineInSerializer(label="订单商品", many=True, allow_empty=False)
    ordered_at = serializers.DateTimeField(label="下单时间", required=False, help_text="留空为收到订单的时间。")
    buyer_message = serializers.CharField(
        label="买家留言", required=False, default="", allow_blank=True, help_text="存为订单备注。"
    )
    ship_by = serializers.DateTimeField(
        label="承诺发货时间", required=False, allow_null=True, default=None, help_text="留空按店铺默认发货时限。"
    )

    def validate_ordered_at(self, value):
        if value > timezone.now():
            raise serializers.ValidationError("下单时间不能晚于现在。", code="future")
        return value

    def validate_lines(self, lines):
        """Every unknown SKU, named at its line; a field validator, so other fields' errors come too."""
        items = {item.sku: item for item in InventoryItem.objects.filter(sku__in={line["sku"] for line in lines})}
        problems = [
            {"sku": [serializers.ErrorDetail(unknown_sku_message(line["sku"]), code="unknown_sku")]}
            if line["sku"] not in items
            else {}
            for line in lines
        ]
        if any(problems):
            raise serializers.ValidationError(problems)
        for line in lines:
            line["item"] = items[line["sku"]]
        return lines


# --- Out --------------------------------------------------------------------------------------


class ReceiverOutSerializer(serializers.Serializer):
    """Masked (138****0000, 上海市浦东新区****) unless the client has receiver:read."""

    name = serializers.CharField(label="收货人")
    phone = serializers.CharField(label="电话")
    address = serializers.CharField(label="地址")
    province = serializers.CharField(label="省")
    city = serializers.CharField(label="市")
    district = serializers.CharField(label="区/县")
    masked = serializers.BooleanField(label="已打码")


def receiver_of(order, *, full):
    phone, address = (
        (order.receiver_phone, order.address)
        if full
        else (mask_phone(order.receiver_phone), short_address(order.address))
    )
    return {
        "name": order.receiver_name,
        "phone": phone,
        "address": address,
        "province": order.province,
        "city": order.city,
        "district": order.district,
        "masked": not full,
    }


class LineOutSerializer(serializers.Serializer):
    sku = serializers.CharField(source="item.sku", label="SKU")
    name = serializers.CharField(source="item.name", label="产品名")
    quantity = serializers.IntegerField(label="数量")
    sub_order_no = serializers.CharField(label="子订单号")
    shipped_quantity = serializers.IntegerField(label="已发数量")


class ParcelLineOutSerializer(serializers.Serializer):
    sku = serializers.CharField(source="line.item.sku", label="SKU")
    quantity = serializers.IntegerField(label="数量")
    sub_order_no = serializers.CharField(source="line.sub_order_no", label="子订单号")


class ParcelOutSerializer(serializers.Serializer):
    carrier = serializers.CharField(source="carrier.name", label="快递公司")
    carrier_code = serializers.CharField(source="carrier.code", label="快递公司代码")
    tracking_number = serializers.CharField(label="快递单号")
    tracking_url = serializers.CharField(label="查询网址")
    status = serializers.CharField(label="包裹状态")
    status_display = serializers.CharField(source="get_status_display", label="包裹状态（中文）")
    shipped_at = serializers.DateTimeField(label="发货时间")
    voided_at = serializers.DateTimeField(label="撤销时间")
    lines = ParcelLineOutSerializer(source="order_lines", many=True, label="本订单在包裹中的商品")


class OrderOutSerializer(serializers.Serializer):
    """An order as the store reads it; `context["full_receiver"]` says whether the receiver is unmasked.

    Expects the order from api.selectors (lines, items and parcels prefetched: no query per row).
    """

    id = serializers.IntegerField()
    order_no = serializers.CharField(label="订单号")
    shop = serializers.CharField(source="shop.name", label="店铺")
    status = serializers.CharField(label="发货状态")
    status_display = serializers.CharField(source="get_status_display", label="发货状态（中文）")
    customer_id = serializers.CharField(label="用户ID")
    receiver = serializers.SerializerMethodField(label="收货信息")
    ordered_at = serializers.DateTimeField(source="created_at", label="下单时间")
    ship_by = serializers.DateTimeField(label="承诺发货时间")
    updated_at = serializers.DateTimeField(label="更新时间")
    buyer_message = serializers.CharField(source="note", label="买家留言")
    lines = LineOutSerializer(source="api_lines", many=True, label="订单商品")
    parcels = ParcelOutSerializer(source="api_parcels", many=True, label="包裹")

    @extend_schema_field(ReceiverOutSerializer)
    def get_receiver(self, order):
        return receiver_of(order, full=self.context.get("full_receiver", False))


class StockItemSerializer(serializers.Serializer):
    sku = serializers.CharField(label="SKU")
    name = serializers.CharField(label="产品名")
    stock = serializers.IntegerField(label="库存")
    in_stock = serializers.SerializerMethodField(label="有货")

    @extend_schema_field(serializers.BooleanField())
    def get_in_stock(self, item):
        return item.stock > 0


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(label="错误代码")
    message = serializers.CharField(label="说明（中文）")
    field = serializers.CharField(label="字段", allow_null=True)


class ErrorsSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)
