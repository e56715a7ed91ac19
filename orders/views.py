"""The 发货日报 view, kept at its old path for orders.admin: the view lives in orders.reports.shipping."""

from orders.reports.shipping import REPORT_PERMISSION
from orders.reports.shipping import shipping_report_view as shipping_report

__all__ = ["REPORT_PERMISSION", "shipping_report"]
