"""The baseline: the order list through a plain, untuned ModelAdmin on its own AdminSite.

What a Django developer writes first for the same list: the order's fields, a column listing its
lines ("SKU × 数量") and one with its parcels' numbers read per row, the product's 发货状态 filter, `icontains`
search over the order's fields and its parcels' tracking numbers, Django's default paginator
(COUNT(*) on every page plus a full-table count) and change page. Used only by bench/scale.py
through bench.plain_urls; never part of the product's URLs.
"""

from django.contrib import admin

from orders.admin.filters import ShipStatusFilter
from orders.models import Order, OrderLine

site = admin.AdminSite(name="plain")


class PlainOrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0


class PlainOrderAdmin(admin.ModelAdmin):
    list_display = ["order_no", "lines_text", "receiver_name", "receiver_phone", "address", "status", "parcels_text"]
    list_display_links = ["order_no"]
    # The product's 发货状态 filter (default 未发货), so both lists show the same rows for the same URL.
    list_filter = [ShipStatusFilter, ("created_at", admin.DateFieldListFilter)]
    search_fields = ["order_no", "receiver_name", "receiver_phone", "lines__parcel_lines__parcel__tracking_number"]
    list_per_page = 50
    inlines = [PlainOrderLineInline]
    # Django's own templates: the product's link to its own views, which this site lacks.
    change_list_template = "admin/change_list.html"
    change_form_template = "admin/change_form.html"

    @admin.display(description="商品")
    def lines_text(self, order):
        return "，".join(str(line) for line in order.lines.select_related("item"))

    @admin.display(description="快递单号")
    def parcels_text(self, order):
        parcels = {pl.parcel.tracking_number for line in order.lines.all() for pl in line.parcel_lines.all()}
        return "，".join(sorted(parcels))


site.register(Order, PlainOrderAdmin)
