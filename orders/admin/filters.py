"""List filters for the order admin (the shipping report's FilterSet is in orders.reports.shipping)."""

from django.contrib import admin
from django.utils import timezone

from orders import selectors
from orders.models import Order, Parcel, Shop


class ShipStatusFilter(admin.SimpleListFilter):
    """发货状态: lands on 未发货 (待发货 and 部分发货) by default, but a search looks through every order."""

    title = "发货状态"
    parameter_name = "ship_status"
    DEFAULT = "unshipped"
    OLDEST_FIRST = ("unshipped", "pending", "partial")  # the work queues
    STATUSES = {
        "unshipped": [Order.Status.PENDING, Order.Status.PARTIAL],
        "pending": [Order.Status.PENDING],
        "partial": [Order.Status.PARTIAL],
        "shipped": [Order.Status.SHIPPED],
        "cancelled": [Order.Status.CANCELLED],
    }

    def __init__(self, request, params, model, model_admin):
        self.searching = bool(request.GET.get("q", "").strip())
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [
            ("unshipped", "未发货"),
            ("pending", "待发货"),
            ("partial", "部分发货"),
            ("shipped", "已发货"),
            ("cancelled", "已取消"),
            ("all", "全部"),
        ]

    def value(self):
        chosen = super().value()
        if chosen in self.STATUSES or chosen == "all":
            return chosen
        return "all" if self.searching else self.DEFAULT

    def queryset(self, request, queryset):
        statuses = self.STATUSES.get(self.value())
        return queryset.filter(status__in=statuses) if statuses else queryset

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class ParcelStageFilter(admin.SimpleListFilter):
    """包裹: the orders whose parcel waits on the packing table (已取号 / 已打印, 打印后扫描发货)."""

    title = "包裹"
    parameter_name = "parcel_stage"

    def lookups(self, request, model_admin):
        return [
            ("waiting", "待扫描发货"),
            *((stage.value, stage.label) for stage in Parcel.UNSHIPPED),
        ]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return selectors.with_waiting_parcel(queryset)
        if self.value() in Parcel.UNSHIPPED:
            return selectors.with_waiting_parcel(queryset, [self.value()])
        return queryset


class StockFilter(admin.SimpleListFilter):
    """库存: 缺货 (an open order with a line current stock cannot cover) or 有货; the rule is selectors.short_lines."""

    title = "库存"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("short", "缺货"), ("in_stock", "有货")]

    def queryset(self, request, queryset):
        if self.value() == "short":
            return selectors.short_of_stock(queryset)
        if self.value() == "in_stock":
            return selectors.in_stock(queryset)
        return queryset


class HoldFilter(admin.SimpleListFilter):
    """审单: the 异常/挂起 queue (orders with an active hold), or the orders free to ship."""

    title = "审单"
    parameter_name = "hold"

    def lookups(self, request, model_admin):
        return [("held", "异常/挂起"), ("free", "未挂起")]

    def queryset(self, request, queryset):
        if self.value() == "held":
            return queryset.filter(selectors.held())
        if self.value() == "free":
            return queryset.exclude(selectors.held())
        return queryset


class ShipByFilter(admin.SimpleListFilter):
    """承诺发货: 已超时 / 今天到期 (open orders, by the Shanghai day) / 其他; see selectors.ship_by_condition."""

    title = "承诺发货"
    parameter_name = "ship_by"

    def lookups(self, request, model_admin):
        return selectors.ShipByState.choices

    def queryset(self, request, queryset):
        if self.value() in selectors.ShipByState.values:
            return queryset.filter(selectors.ship_by_condition(self.value(), timezone.now()))
        return queryset


class ShopFilter(admin.SimpleListFilter):
    """店铺: shown only when there is more than one shop (one queue for all shops is the default)."""

    title = "店铺"
    parameter_name = "shop"

    def lookups(self, request, model_admin):
        shops = list(Shop.objects.values_list("pk", "name"))
        return [(str(pk), name) for pk, name in shops] if len(shops) > 1 else []

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(shop_id=value) if value and value.isdigit() else queryset
