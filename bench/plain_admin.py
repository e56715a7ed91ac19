"""The baseline: the same order list through a plain, untuned ModelAdmin on its own AdminSite.

Same list_display, list_filter and list_editable as orders.admin.OrderAdmin, but Django's
defaults everywhere else: the default paginator (COUNT(*) on every page plus a full-table
count), `icontains` search, no list_select_related, a plain select for the item. Used only by
bench/scale.py through bench.plain_urls; never part of the product's URLs.
"""

from django.contrib import admin
from django.urls import path

from orders.admin import OrderAdmin
from orders.filters import ShipStatusFilter
from orders.models import Order

site = admin.AdminSite(name="plain")


class PlainOrderAdmin(admin.ModelAdmin):
    list_display = OrderAdmin.list_display
    list_display_links = OrderAdmin.list_display_links
    list_editable = OrderAdmin.list_editable
    list_filter = [
        ShipStatusFilter,
        "carrier",
        ("created_at", admin.DateFieldListFilter),
        ("shipped_at", admin.DateFieldListFilter),
    ]
    search_fields = ["order_no", "tracking_number", "receiver_name", "receiver_phone"]
    list_per_page = OrderAdmin.list_per_page
    # Django's own list template: ours links to the product's report, which this site lacks.
    change_list_template = "admin/change_list.html"

    def get_urls(self):
        # The copied address column's button names the product's receiver URL; the bench never opens it.
        reveal = path(
            "<int:object_id>/receiver/", self.admin_site.admin_view(self.change_view), name="orders_order_receiver"
        )
        return [reveal, *super().get_urls()]


# The same column renderers (thumbnail, masked phone, …), so both lists show the same HTML.
for _name in PlainOrderAdmin.list_display:
    if hasattr(OrderAdmin, _name):
        setattr(PlainOrderAdmin, _name, getattr(OrderAdmin, _name))


site.register(Order, PlainOrderAdmin)
