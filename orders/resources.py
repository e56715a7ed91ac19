"""django-import-export resources for orders."""

import tablib
from import_export import resources

from oms.spreadsheet import escape_formula
from orders import reports
from orders.models import Order


class OrderExportResource(resources.ModelResource):
    """导出订单: the report's Chinese columns plus status and order time, formula-escaped.

    Rows come from orders.reports.export_cells, the same row builder as the 发货日报, read as
    plain values so a large export builds no model instances.
    """

    class Meta:
        model = Order
        fields = ()

    def get_export_headers(self, selected_fields=None):
        return list(reports.EXPORT_HEADERS)

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = self.get_queryset()
        dataset = tablib.Dataset(headers=self.get_export_headers())
        for values in queryset.values(*reports.ROW_VALUES).iterator(chunk_size=2000):
            dataset.append([escape_formula(cell) for cell in reports.export_cells(values)])
        return dataset
