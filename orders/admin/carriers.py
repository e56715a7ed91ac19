"""快递公司: names, codes, number formats and tracking links, with their timeline."""

from django.contrib import admin

from audit.admin import TimelineAdminMixin
from orders.models import Carrier
from orders.timeline import carrier_timeline


@admin.register(Carrier)
class CarrierAdmin(TimelineAdminMixin, admin.ModelAdmin):
    timeline_builder = staticmethod(carrier_timeline)
    # What a clerk needs to read (the format in words) fits 1366 px; the regex and the tracking
    # address are edited on the carrier's own page.
    list_display = ["name", "code", "tracking_number_hint", "kuaidi100_code", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]
    list_display_links = ["name"]
    search_fields = ["name", "code"]
    fields = [
        "name",
        "code",
        "tracking_number_hint",
        "tracking_number_pattern",
        "tracking_url_template",
        "kuaidi100_code",
        "is_active",
        "sort_order",
    ]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "快递公司", **(extra_context or {})})
