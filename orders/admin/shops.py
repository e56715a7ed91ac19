"""店铺: name, platform and the default ship-by hours of each shop the orders come from."""

from django.contrib import admin

from orders.models import Shop


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "default_ship_by_hours", "is_active"]
    list_filter = ["platform", "is_active"]
    search_fields = ["name"]
    # Deleting a shop that has orders is refused by Django's PROTECT page, which lists them.
