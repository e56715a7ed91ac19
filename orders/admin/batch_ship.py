"""发货回传: the page that downloads a shop's batch-ship file and marks its parcels as exported.

The GET shows what the file will hold (parcels, how many were already exported, the first rows);
the download is a POST that, in one transaction, reads the parcels (locked, so two clerks at once
never both get the same ones), builds the file and marks them through
services.mark_parcels_exported. The page's script reloads it once the file has arrived, so the
counts and the 已导出 message show the new state.
"""

import re
from itertools import islice

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from orders import services
from orders.models import Parcel, Shop
from orders.platforms.batch_ship import (
    COLUMN_SET_LABELS,
    CSV,
    FORMAT_LABELS,
    XLSX,
    batch_ship_counts,
    batch_ship_file,
    batch_ship_parcels,
    batch_ship_rows,
    exported_then_voided,
    layout_for,
)
from orders.reports.days import local_date
from orders.reports.shipping import ShippingReportForm, report_day_widget, validate_report_day

BATCH_SHIP_PERMISSION = "orders.export_batch_ship"
PREVIEW_ROWS = 20
VOIDED_SHOWN = 20  # numbers of exported-then-voided parcels named on the page
# The download's answer carries this cookie (the form's token), so the page knows the file arrived.
DOWNLOAD_COOKIE = "batch_ship_download"
CONTENT_TYPES = {CSV: "text/csv", XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\s]+')


def day_field(label):
    return forms.DateField(
        label=label,
        validators=[validate_report_day],
        widget=report_day_widget(),
        error_messages={"required": "请选择日期。", "invalid": "请输入有效的日期，如 2026-12-03。"},
    )


class BatchShipForm(ShippingReportForm):
    shop = forms.ModelChoiceField(
        label="店铺",
        queryset=Shop.objects.order_by("name"),
        empty_label=None,
        error_messages={"invalid_choice": "请选择店铺。", "required": "请选择店铺。"},
    )
    date_from = day_field("发货日期从")
    date_to = day_field("到")
    only_unexported = forms.BooleanField(label="只导出未回传的", required=False)
    # Download choices (the download form's, not the query's): the platform's unless asked otherwise.
    columns = forms.ChoiceField(label="表格列", required=False, choices=[("", "按平台"), *COLUMN_SET_LABELS.items()])
    file_format = forms.ChoiceField(
        label="格式", required=False, choices=[("", "按平台"), (CSV, FORMAT_LABELS[CSV]), (XLSX, FORMAT_LABELS[XLSX])]
    )
    DOWNLOAD_CHOICES = ("columns", "file_format")

    def parcels(self):
        """The parcels the file holds (batch_ship_parcels of the chosen shop, days and 只导出未回传的)."""
        data = self.cleaned_data
        return batch_ship_parcels(
            data["shop"], data["date_from"], data["date_to"], only_unexported=data["only_unexported"]
        )

    def filename(self, file_format):
        data = self.cleaned_data
        shop = data["shop"]
        days = data["date_from"].isoformat()
        if data["date_to"] != data["date_from"]:
            days += f"_{data['date_to'].isoformat()}"
        parts = ["发货回传", shop.name, shop.get_platform_display(), days]
        return "_".join(UNSAFE_IN_FILENAME.sub("-", part) for part in parts) + f".{file_format}"


def page_data(query, today):
    """The GET's form data: as submitted, or the first view's (the first shop, today, only parcels
    not exported yet) with the days a link brings (the 发货日报's)."""
    if "shop" in query:
        return query
    shop = Shop.objects.order_by("name").values_list("pk", flat=True).first()
    days = {key: query[key] for key in ("date_from", "date_to") if query.get(key)}
    return {"shop": shop or "", "date_from": today, "date_to": today, "only_unexported": "on", **days}


def batch_ship_view(request, model_admin):
    """发货回传: GET shows the counts and the first rows; POST downloads the file and marks its parcels."""
    if not request.user.has_perm(BATCH_SHIP_PERMISSION):
        raise PermissionDenied
    if request.method == "POST":
        form = BatchShipForm(request.POST)
        if form.is_valid():
            return _download(request, form)
    else:
        form = BatchShipForm(page_data(request.GET, local_date(timezone.now()).isoformat()))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "发货回传",
        "opts": model_admin.opts,
        "form": form,
    }
    if form.is_valid():
        shop, days = form.cleaned_data["shop"], (form.cleaned_data["date_from"], form.cleaned_data["date_to"])
        layout = layout_for(shop.platform)
        context.update(
            shop=shop,
            counts=batch_ship_counts(shop, *days, only_unexported=form.cleaned_data["only_unexported"]),
            headers=layout.headers,
            preview=list(islice(batch_ship_rows(form.parcels(), shop), PREVIEW_ROWS)),
            preview_limit=PREVIEW_ROWS,
            platform_format=FORMAT_LABELS[layout.file_format],
            charset=layout.charset.upper(),
            voided=list(
                exported_then_voided(shop, *days)
                .order_by("shipped_at", "pk")
                .values_list("tracking_number", flat=True)[: VOIDED_SHOWN + 1]
            ),
            voided_shown=VOIDED_SHOWN,
        )
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/orders/batch_ship.html", context)


def _download(request, form):
    shop = form.cleaned_data["shop"]
    with transaction.atomic():
        pks = list(form.parcels().select_for_update().order_by("pk").values_list("pk", flat=True))
        if not pks:
            messages.warning(request, f"没有要导出的包裹：{shop.name} 在所选日期没有未回传的已发货包裹。")
            return HttpResponseRedirect(request.get_full_path())
        content, file_format = batch_ship_file(
            Parcel.objects.filter(pk__in=pks),
            shop,
            form.cleaned_data["file_format"] or None,
            form.cleaned_data["columns"],
        )
        marked, _when = services.mark_parcels_exported(pks, user=request.user)
    filename = form.filename(file_format)
    messages.success(request, f"已导出发货回传文件 {filename}：{marked} 个包裹已标记为已回传。请到平台后台上传该文件。")
    content_type = CONTENT_TYPES[file_format]
    if file_format == CSV:
        content_type += f"; charset={layout_for(shop.platform).charset}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    token = request.POST.get("download_token", "")
    if token.isdigit():
        response.set_cookie(DOWNLOAD_COOKIE, token, max_age=60, samesite="Lax")
    return response
