"""验货记录: each parcel that left the scan desk after its items were scanned, or was forced out."""

from django.contrib import admin

from oms.admin_mixins import ReadOnlyAdminMixin
from orders.models import PackingCheck


@admin.register(PackingCheck)
class PackingCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the desk writes these. 强制发货 first to look at is one filter away."""

    list_display = ["checked_at", "parcel", "forced", "missing", "scanned_units", "wrong_scans", "checked_by"]
    list_filter = ["forced", ("checked_at", admin.DateFieldListFilter)]
    list_select_related = ["parcel", "checked_by"]
    search_fields = ["^parcel__tracking_number"]
    # By day with the date filter, not date_hierarchy: that needs MariaDB's time zone tables.
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "验货记录", **(extra_context or {})})
