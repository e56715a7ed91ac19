"""django-import-export resources for orders."""

from itertools import islice

import tablib
from import_export import fields, resources

from oms.spreadsheet import escape_formula
from orders import reports
from orders.models import Order

CHUNK_ROWS = 2000


class OrderExportResource(resources.ModelResource):
    """导出订单: the report's Chinese columns plus status and order time, formula-escaped.

    Rows come from orders.reports.export_cells, the same row builder as the 发货日报, read as
    plain values so a large export builds no model instances.
    """

    class Meta:
        model = Order
        fields = ()

    def __init__(self, full_receiver=False, **kwargs):
        # Full phone and address only for users with orders.export_full_receiver (OrderAdmin passes it).
        super().__init__(**kwargs)
        self.full_receiver = full_receiver

    def get_user_visible_fields(self):
        # Listed on the export page ("此次将导出以下字段").
        return [fields.Field(column_name=header) for header in reports.EXPORT_HEADERS]

    def get_export_headers(self, selected_fields=None):
        return list(reports.EXPORT_HEADERS)

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = self.get_queryset()
        dataset = tablib.Dataset(headers=self.get_export_headers())
        values = queryset.values(*reports.EXPORT_VALUES).iterator(chunk_size=CHUNK_ROWS)
        names = {}
        while chunk := list(islice(values, CHUNK_ROWS)):
            for row in reports.with_related_names(chunk, names):
                dataset.append(
                    [escape_formula(cell) for cell in reports.export_cells(row, full_receiver=self.full_receiver)]
                )
        return dataset
