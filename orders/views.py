"""Admin pages that are not a model's list or form: the daily shipping report (发货日报)."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header

from orders import privacy, reports
from orders.filters import ShippingReportFilter

REPORT_PERMISSION = "orders.view_shipping_report"
REPORT_ROWS_PER_PAGE = 50


def report_filename(filterset):
    data = filterset.data
    days = data["date_from"] if data["date_from"] == data["date_to"] else f"{data['date_from']}_{data['date_to']}"
    return f"发货日报_{days}.csv"


def shipping_report_csv_response(filterset, *, full_receiver=False):
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in reports.shipping_report_csv(filterset.qs, full_receiver=full_receiver)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(True, report_filename(filterset))
    return response


def shipping_report(request, model_admin):
    """发货日报: filters, a summary per carrier, the orders; `format=csv` streams them as CSV."""
    if not request.user.has_perm(REPORT_PERMISSION):
        raise PermissionDenied
    filterset = ShippingReportFilter(request.GET)
    valid = filterset.is_valid()
    if valid and request.GET.get("format") == "csv":
        full = privacy.may_export_full(request.user)
        if full:
            privacy.record_export_reveal(request.user, f"发货日报 CSV：{report_filename(filterset)}")
        return shipping_report_csv_response(filterset, full_receiver=full)
    page = None
    summary = None
    if valid:
        summary = reports.carrier_summary(filterset.qs)
        paginator = Paginator(reports.report_values(filterset.qs), REPORT_ROWS_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        page.rows = [(values["pk"], reports.order_cells(values)) for values in reports.with_related_names(page)]
    opts = model_admin.opts
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "发货日报",
        "opts": opts,
        "filterset": filterset,
        "valid": valid,
        "summary": summary,
        "page": page,
        "headers": reports.REPORT_HEADERS,
        "query": filterset.query_string(),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/orders/shipping_report.html", context)
