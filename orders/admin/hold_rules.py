"""审单规则: one settings page (the singleton HoldRules row) whose rules hold new orders as they are created."""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from orders.models import HoldRules


@admin.register(HoldRules)
class HoldRulesAdmin(admin.ModelAdmin):
    fields = ["hold_buyer_message", "max_pieces", "wait_minutes"]

    def has_add_permission(self, request):
        return False  # one row, edited in place

    def has_delete_permission(self, request, obj=None):
        return False

    def get_object(self, request, object_id, from_field=None):
        # The rules before anyone saved them: all off; saving the page writes the one row.
        return HoldRules.current() if str(object_id) == "1" else None

    def changelist_view(self, request, extra_context=None):
        return HttpResponseRedirect(reverse("admin:orders_holdrules_change", args=[1]))
