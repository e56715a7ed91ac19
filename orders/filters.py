"""List filters for the order admin, and the shipping report's FilterSet."""

from urllib.parse import urlencode

import django_filters
from django import forms
from django.contrib import admin
from django.utils import timezone

from orders import reports
from orders.models import Carrier, Order


class ShipStatusFilter(admin.SimpleListFilter):
    """发货状态: lands on 未发货 (待发货 and 部分发货) by default, but a search looks through every order."""

    title = "发货状态"
    parameter_name = "ship_status"
    DEFAULT = "unshipped"
    OLDEST_FIRST = ("unshipped", "pending", "partial", "overdue")  # the work queues
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
            ("overdue", "超过48小时未发货"),
            ("shipped", "已发货"),
            ("cancelled", "已取消"),
            ("all", "全部"),
        ]

    def value(self):
        chosen = super().value()
        if chosen in self.STATUSES or chosen in ("overdue", "all"):
            return chosen
        return "all" if self.searching else self.DEFAULT

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return reports.overdue_orders(queryset, timezone.now())
        statuses = self.STATUSES.get(self.value())
        return queryset.filter(status__in=statuses) if statuses else queryset

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class ShippingReportForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError("开始日期不能晚于结束日期。")
        return cleaned


class ShippingReportFilter(django_filters.FilterSet):
    """The 发货日报's filters: Shanghai ship dates (default today), carrier (by code), status.

    Always bound: missing dates default to today (a lone 开始日期 runs to today, a lone
    结束日期 is that one day) and the status to 已发货, so the page, its CSV link and the
    shipping_report command read the same query string the same way.
    """

    STATUS_CHOICES = [("shipped", "已发货"), ("cancelled", "发货后已取消"), ("all", "全部")]

    date_from = django_filters.DateFilter(
        label="发货日期从", method="filter_date_from", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = django_filters.DateFilter(
        label="到", method="filter_date_to", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    carrier = django_filters.ModelChoiceFilter(
        label="快递公司", queryset=Carrier.objects.all(), to_field_name="code", empty_label="全部快递公司"
    )
    status = django_filters.ChoiceFilter(label="状态", choices=STATUS_CHOICES, empty_label=None, method="filter_status")

    class Meta:
        model = Order
        fields = ["date_from", "date_to", "carrier", "status"]
        form = ShippingReportForm

    def __init__(self, data=None, *args, today=None, **kwargs):
        data = {key: data.get(key, "") for key in self.Meta.fields} if data is not None else {}
        today = (today or reports.local_date(timezone.now())).isoformat()
        if not data.get("date_from") and not data.get("date_to"):
            data["date_from"] = data["date_to"] = today
        elif not data.get("date_to"):
            data["date_to"] = today
        elif not data.get("date_from"):
            data["date_from"] = data["date_to"]
        data["status"] = data.get("status") or "shipped"
        kwargs.setdefault("queryset", reports.report_queryset())
        super().__init__(data, *args, **kwargs)

    def filter_date_from(self, queryset, name, value):
        return reports.shipped_on_days(queryset, date_from=value)

    def filter_date_to(self, queryset, name, value):
        return reports.shipped_on_days(queryset, date_to=value)

    def filter_status(self, queryset, name, value):
        statuses = {"shipped": Order.Status.SHIPPED, "cancelled": Order.Status.CANCELLED}
        return queryset.filter(status=statuses[value]) if value in statuses else queryset

    def query_string(self):
        """The filters as given (valid or not), for the CSV link and the pagination links."""
        return urlencode({key: self.data.get(key, "") for key in self.Meta.fields})
