"""The orders app's admin: the site's titles, and one module per admin (orders, carriers, shops, …).

logistics extends OrderAdmin by subclassing it (its own admin module), so nothing here imports it.
"""

from django.contrib import admin

admin.site.site_header = "订单管理系统"
admin.site.site_title = "订单管理系统"
admin.site.index_title = "首页"
# The order list needs the full width of a 1366px screen.
admin.site.enable_nav_sidebar = False

from orders.admin.after_sales import AfterSaleCaseAdmin  # noqa: E402  (registers on import)
from orders.admin.carriers import CarrierAdmin  # noqa: E402
from orders.admin.hold_rules import HoldRulesAdmin  # noqa: E402
from orders.admin.orders import OrderAdmin  # noqa: E402
from orders.admin.packing_checks import PackingCheckAdmin  # noqa: E402
from orders.admin.reveals import ReceiverRevealAdmin  # noqa: E402
from orders.admin.shops import ShopAdmin  # noqa: E402
from orders.admin.sku_mappings import SkuMappingAdmin  # noqa: E402

__all__ = [
    "AfterSaleCaseAdmin",
    "CarrierAdmin",
    "HoldRulesAdmin",
    "OrderAdmin",
    "PackingCheckAdmin",
    "ReceiverRevealAdmin",
    "ShopAdmin",
    "SkuMappingAdmin",
]
