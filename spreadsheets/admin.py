"""The admin side of spreadsheet imports: django-import-export's ImportMixin, configured for this project.

Upload → preview (a dry run of the real import, with every problem listed) → confirm (the same
import, applied in one transaction, or refused if anything changed in between).
"""

from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header, urlencode
from import_export.admin import ExportActionMixin, ImportMixin
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.signals import post_import

from spreadsheets.formats import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS, ImportFileError, SpreadsheetFormat, check_size
from spreadsheets.resources import SKIP
from spreadsheets.uploads import UploadStorage, pack_files
from spreadsheets.writing import ExcelCSV, ExcelXLSX, iter_csv

IMPORT_LEFT = "import_left_rows"
EMPTY_FILE = "文件是空的。第一行应为表头，从第二行起每行一条数据。"
NO_FILE_CHOSEN = "未选择文件"


class FilePickerInput(forms.FileInput):
    """A file input whose button and "no file" text are Chinese whatever the browser's own language.

    The native input stays in the page (keyboard, screen readers, tests) but out of sight; its
    label is the button, and spreadsheets/js/file_picker.js shows the chosen file's name.
    """

    class Media:
        js = ["spreadsheets/js/file_picker.js"]

    def render(self, name, value, attrs=None, renderer=None):
        attrs = {**(attrs or {}), "class": "file-picker-input"}
        native = super().render(name, value, attrs, renderer)
        return format_html(
            '<span class="file-picker">{}<label for="{}" class="button file-picker-button">浏览…</label>'
            '<span class="file-picker-name" data-empty="{}">{}</span></span>',
            native,
            attrs.get("id", ""),
            NO_FILE_CHOSEN,
            NO_FILE_CHOSEN,
        )


class FilesPickerInput(FilePickerInput):
    """FilePickerInput taking several files at once (a platform's order file and its item file)."""

    allow_multiple_selected = True


MAX_FILES = 2


class SpreadsheetFilesField(forms.FileField):
    """One or several files as one upload (spreadsheets.uploads.pack_files), each checked as one file.

    The cleaned value is an uploaded file: the one chosen, or the packed files, named by their
    names and with `file_count`."""

    widget = FilesPickerInput

    def clean(self, data, initial=None):
        uploads = [super(SpreadsheetFilesField, self).clean(upload, initial) for upload in (data or [None])]
        if len(uploads) == 1:
            return uploads[0]
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(f"一次最多选择 {MAX_FILES} 个文件（一个订单文件和一个商品文件）。")
        packed = SimpleUploadedFile(
            "、".join(upload.name for upload in uploads), pack_files([(u.name, u.read()) for u in uploads])
        )
        packed.file_count = len(uploads)
        return packed


class SpreadsheetImportForm(ImportForm):
    """The upload step, in Chinese, refusing an empty or oversized file before it is read."""

    import_file = forms.FileField(
        label="选择文件",
        widget=FilePickerInput,
        error_messages={"empty": EMPTY_FILE, "required": "请选择要导入的文件。", "invalid": EMPTY_FILE},
        help_text=(
            f"CSV（UTF-8 或 GBK 编码）或 Excel .xlsx，不超过 {MAX_IMPORT_BYTES // 1024 // 1024} MB、"
            f"{MAX_IMPORT_ROWS} 行。"
        ),
    )

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.import_resources = list(resources)
        self.fields["resource"].label = "导入内容"
        self.fields["format"].label = "文件格式"

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        try:
            check_size(upload.size)
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload

    def clean(self):
        cleaned = super().clean()
        upload, choice = cleaned.get("import_file"), cleaned.get("resource") or "0"
        several = getattr(upload, "file_count", 1) > 1
        if several and choice.isdigit() and int(choice) < len(self.import_resources):
            resource = self.import_resources[int(choice)]
            if not getattr(resource, "accepts_several_files", False):
                self.add_error("import_file", f"“{resource.get_display_name()}”一次只能上传一个文件。")
        return cleaned


class SpreadsheetConfirmForm(ConfirmImportForm):
    def clean_format(self):
        if self.cleaned_data["format"] != "0":
            raise forms.ValidationError("文件格式无效。")
        return self.cleaned_data["format"]


class KeptUpload:
    """A checked confirm form dressed as the upload form the library's hooks read (重新检查)."""

    def __init__(self, confirm_form):
        cleaned = confirm_form.cleaned_data
        upload = SimpleNamespace(name=cleaned["original_file_name"], tmp_storage_name=cleaned["import_file_name"])
        self.cleaned_data = {**cleaned, "import_file": upload}


class SpreadsheetImportMixin(ImportMixin):
    """Admin import for the resources in `import_resource_classes`, one link each on the list page."""

    import_resource_classes = ()
    import_form_class = SpreadsheetImportForm
    confirm_form_class = SpreadsheetConfirmForm
    import_template_name = "admin/spreadsheets/import.html"
    tmp_storage_class = UploadStorage  # opaque names, never a path from the browser
    # A template the preview includes above its rows, for what a ModelAdmin's import finds besides them.
    import_findings_template = None
    import_export_change_list_template = "admin/spreadsheets/change_list_import.html"

    def get_import_resource_classes(self, request):
        """The imports this user may run: each resource names the model permission it needs.

        Imports only; exports declare their own resources (get_export_resource_classes).
        """
        return [
            resource
            for resource in self.import_resource_classes
            if getattr(self, f"has_{getattr(resource, 'admin_permission', 'change')}_permission")(request)
        ]

    def get_import_formats(self):
        return [SpreadsheetFormat]

    def has_import_permission(self, request):
        return bool(self.get_import_resource_classes(request))

    def get_import_form_initial(self, request):
        initial = super().get_import_form_initial(request)
        choice = request.GET.get("resource", "")
        if choice.isdigit() and int(choice) < len(self.get_import_resource_classes(request)):
            initial["resource"] = choice
        return initial

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["import_links"] = [
            (index, resource.get_display_name())
            for index, resource in enumerate(self.get_import_resource_classes(request))
        ]
        return super().changelist_view(request, extra_context)

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context is not None:
            self.complete_preview_context(request, context, context["form"])
        return response

    def complete_preview_context(self, request, context, import_form):
        """What the library's page leaves out: 只…没有问题的行, 重新检查, the column list after a refusal."""
        if context.get("result") is not None and "confirm_form" not in context:
            context.update(self.partial_confirm_context(request, import_form, context["result"]))
        upload = import_form.cleaned_data.get("import_file") if hasattr(import_form, "cleaned_data") else None
        if context.get("result") is not None and getattr(upload, "tmp_storage_name", None):
            query = urlencode(self.get_confirm_form_initial(request, import_form))
            context["recheck_url"] = f"{reverse(self.import_url_name('recheck'))}?{query}"
        context["findings_template"] = self.import_findings_template
        if not context.get("fields_list"):
            # The library leaves the column list out after a refused file, when it helps most.
            context["fields_list"] = [
                (resource.get_display_name(), resource().required_columns())
                for resource in self.get_import_resource_classes(request)
            ]

    def import_url_name(self, step):
        return f"admin:{self.opts.app_label}_{self.opts.model_name}_{step}"

    def recheck_import_view(self, request):
        """重新检查: the preview again on the upload kept since the first one (no second upload).

        The query string is the confirm form's (an opaque upload name, never a path): a page that
        changed what the file refers to (e.g. a 商家编码 mapped) sends the clerk back here."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        confirm_form = self.get_confirm_form_class(request)(data=request.GET)
        try:
            if not confirm_form.is_valid():
                raise FileNotFoundError(confirm_form.errors)
            storage = self.get_tmp_storage_class()(
                name=confirm_form.cleaned_data["import_file_name"],
                read_mode="rb",
                **self.get_tmp_storage_class_kwargs(),
            )
            dataset = self.get_import_formats()[0]().create_dataset(storage.read())
        except (OSError, ImportFileError):
            messages.error(request, "导入已失效（可能已经确认过）。请重新上传文件。")
            return HttpResponseRedirect(reverse(self.import_url_name("import")))
        kept = KeptUpload(confirm_form)
        resource = self.choose_import_resource_class(kept, request)(
            **self.get_import_resource_kwargs(request, form=kept)
        )
        result = resource.import_data(
            dataset,
            dry_run=True,
            raise_errors=False,
            file_name=kept.cleaned_data["original_file_name"],
            user=request.user,
            **self.get_import_data_kwargs(request=request, form=kept),
        )
        import_form = self.create_import_form(request)
        context = {
            **self.get_import_context_data(),
            **self.admin_site.each_context(request),
            "title": "导入",
            "form": import_form,
            "opts": self.model._meta,
            "media": self.media + import_form.media,
            "result": result,
            "rechecked": True,
            "import_error_display": self.import_error_display,
        }
        if not result.has_errors() and not result.has_validation_errors():
            context["confirm_form"] = self.create_confirm_form(request, import_form=kept)
        self.complete_preview_context(request, context, kept)
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    def partial_confirm_context(self, request, import_form, result):
        """For a previewed file whose only problems are rows of a resource that allows it: the
        confirm form for "只…没有问题的 N 行" and the lines it would write."""
        resource = self.choose_import_resource_class(import_form, request)
        if not getattr(resource, "allows_partial", False) or result.base_errors:
            return {}
        good = set(result.partial_lines)
        if not good or not result.has_validation_errors():
            return {}
        return {
            "partial_form": self.create_confirm_form(request, import_form=import_form),
            "partial_label": resource.partial_label.format(count=len(good)),
            "partial_lines": ",".join(map(str, sorted(good))),
            "left_count": sum(1 for row in result.rows if row.line not in good and row.import_type != SKIP),
        }

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        request = kwargs.get("request")
        if request is not None and request.POST.get("only_good_rows"):
            # The confirm of "只…没有问题的 N 行": the resource writes the good rows if they are still these.
            lines = request.POST.get("expected_lines", "")
            kwargs["only_good_rows"] = True
            kwargs["expected_lines"] = {int(part) for part in lines.split(",") if part.strip().isdigit()}
        return kwargs

    def import_success_message(self, result):
        """What the clerk reads after a confirmed import (a ModelAdmin may say more, e.g. which orders)."""
        return f"导入完成：{result.summary}"

    def import_left_view(self, request):
        """The rows a "只…没有问题的 N 行" confirm left out, as a CSV to fix and import again."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        left = request.session.get(IMPORT_LEFT)
        if not left:
            messages.error(request, "没有可下载的未导入行：只保留本次登录最近一次导入留下的行。")
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
        rows = ([line, *cells, "；".join(problems)] for line, cells, problems in left["rows"])
        # The same writer as every export: formula-escaped, identifiers kept as text in Excel.
        response = HttpResponse("".join(iter_csv(rows, left["headers"])), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{left['name']}-未导入的行.csv")
        return response

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_import_left"
        left = path("import/left/", self.admin_site.admin_view(self.import_left_view), name=name)
        name = f"{self.opts.app_label}_{self.opts.model_name}_recheck"
        recheck = path("import/recheck/", self.admin_site.admin_view(self.recheck_import_view), name=name)
        return [left, recheck, *super().get_urls()]

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportFileError):
            form.add_error("import_file", str(e))
        else:  # never show a library's exception to a clerk
            form.add_error("import_file", "无法读取这个文件。请上传 CSV 或 Excel（.xlsx）表格文件。")

    def process_import(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        try:
            return super().process_import(request, **kwargs)
        except (OSError, ImportFileError, IndexError):
            # The temporary copy is gone (already imported, or expired) or the form was tampered with.
            messages.error(request, "导入已失效（可能已经确认过）。请重新上传文件。")
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # Something changed since the preview; the import's transaction was rolled back.
            context = {
                **self.admin_site.each_context(request),
                "title": "导入",
                "opts": self.model._meta,
                "result": result,
                "confirm_refused": True,
            }
            return TemplateResponse(request, [self.import_template_name], context)
        self.generate_log_entries(result, request)
        message = self.import_success_message(result)
        left = getattr(result, "left_rows", [])
        if left:
            name = self.opts.verbose_name
            request.session[IMPORT_LEFT] = {"name": str(name), "headers": result.left_headers, "rows": left}
            url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import_left")
            message = format_html(
                '{} 另有 {} 行有问题，未处理：<a href="{}">下载这 {} 行（CSV，含行号和原因）</a>，改正后可再导入。',
                message,
                len(left),
                url,
                len(left),
            )
        messages.success(request, message)
        post_import.send(sender=None, model=self.model)
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))


class SelectedRowsExportMixin(ExportActionMixin):
    """django-import-export's export action for Excel users, checking only the rows that were selected.

    - Formats: XLSX (recommended) and CSV, written by spreadsheets.writing (text identifiers,
      date cells, formula escaping).
    - The file is named in Chinese, `export_file_stem`-YYYY-MM-DD (the Shanghai day), sent
      with RFC 5987's filename* so every browser keeps the Chinese; the sheet is `export_sheet_title`.
    - The library's default validates the posted ids against every id in the table, which reads a
      million ids to export fifty.
    """

    export_formats = [ExcelCSV, ExcelXLSX]
    # iter_csv writes the BOM itself (one place for the CSV's bytes, the admin's and the report's).
    to_encoding = "utf-8"
    export_file_stem = "导出"
    export_sheet_title = "Sheet1"

    def get_export_filename(self, request, queryset, file_format):
        return f"{self.export_file_stem}-{timezone.localdate().isoformat()}.{file_format.get_extension()}"

    def get_export_data(self, file_format, request, queryset, **kwargs):
        if not self.has_export_permission(request):
            raise PermissionDenied
        # Native values for both formats: the writers decide how a number, a text or a time is written.
        kwargs.pop("encoding", None)
        dataset = self.get_data_for_export(request, queryset, force_native_type=True, **kwargs)
        dataset.title = self.export_sheet_title
        data = file_format.export_data(dataset)
        return data if file_format.is_binary() else data.encode(self.to_encoding)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        response = super()._do_file_export(file_format, request, queryset, export_form=export_form)
        # The library writes filename="…" raw, which no browser reads right for Chinese.
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response

    def get_valid_export_item_pks(self, request):
        posted = request.POST.getlist("export_items")
        return self.get_queryset(request).filter(pk__in=posted).values_list("pk", flat=True)
