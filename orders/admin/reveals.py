"""个人信息查看记录: who saw a receiver's full details, for managers."""

from django.contrib import admin

from oms.admin_mixins import ReadOnlyAdminMixin
from orders.models import ReceiverReveal


@admin.register(ReceiverReveal)
class ReceiverRevealAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who saw which receiver's full details, when and how. Read-only, for managers."""

    list_display = ["revealed_at", "user", "order_no", "how", "detail"]
    list_filter = ["how", ("revealed_at", admin.DateFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["^order_no", "^user__username"]
    # By day with the date filter, not date_hierarchy: that needs MariaDB's time zone tables.
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "个人信息查看记录", **(extra_context or {})})
