"""商家编码对应: the list, the add/change page with its components inline, import/export, and the
on-the-spot 对应商家编码 page (orders.admin.map_codes).

The admin configures; services.check_platform_codes decides (the inline's clean shows its
problems by the form) and services.map_platform_code / unmap_platform_codes write.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.forms.models import BaseInlineFormSet
from django.urls import path
from import_export.forms import ExportForm

from audit.admin import TimelineAdminMixin
from orders import services
from orders.admin import map_codes
from orders.admin.orders import DomainErrorsAsMessages
from orders.models import SkuMapping, SkuMappingComponent
from orders.resources import SkuMappingExportResource, SkuMappingImportResource
from orders.selectors import components_text
from orders.timeline import sku_mapping_timeline
from spreadsheets.admin import SelectedRowsExportMixin, SpreadsheetImportMixin


class BundleFilter(admin.SimpleListFilter):
    title = "组合装"
    parameter_name = "bundle"

    def lookups(self, request, model_admin):
        return [("yes", "组合装"), ("no", "单品")]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        counted = queryset.annotate(component_count=Count("components"))
        return counted.filter(component_count__gt=1) if self.value() == "yes" else counted.filter(component_count=1)


class ComponentForm(forms.ModelForm):
    """An item and its quantity as typed: the service's rules (check_platform_codes) judge both, in its words."""

    # Not the model's `quantity`: the model form would check it again, with a constraint's generic wording.
    pieces = forms.CharField(label="数量", initial="1", widget=forms.NumberInput(attrs={"min": 1, "step": 1}))

    class Meta:
        model = SkuMappingComponent
        fields = ["item", "pieces"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["pieces"].initial = self.instance.quantity

    def validate_unique(self):
        pass


class ComponentFormSet(BaseInlineFormSet):
    """The components as typed, checked by services.check_platform_codes with the mapping's shop and code."""

    def clean(self):
        if any(self.errors):
            return
        mapping = self.instance
        if not (mapping.shop_id and mapping.platform_code):
            return  # the mapping's own form says what is missing
        problems = services.check_platform_codes(
            mapping.shop, [(mapping.platform_code, self.components())], replace=mapping.pk is not None
        )
        if problems:
            raise ValidationError(problems[0])

    def components(self):
        return [
            (form.cleaned_data["item"], form.cleaned_data["pieces"])
            for form in self.forms
            if form.cleaned_data.get("item") and not form.cleaned_data.get("DELETE")
        ]


class ComponentInline(admin.TabularInline):
    model = SkuMappingComponent
    form = ComponentForm
    formset = ComponentFormSet
    fields = ["item", "pieces"]
    autocomplete_fields = ["item"]
    extra = 1
    verbose_name = "库存商品"
    verbose_name_plural = "对应的库存商品（一件商家编码 = 下列商品各若干件；多于一种即组合装）"

    # A component is part of its mapping: whoever may edit the mapping edits its components.
    def _may(self, request, action):
        opts = self.parent_model._meta
        return request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")

    def has_view_permission(self, request, obj=None):
        return self._may(request, "view") or self._may(request, "change")

    def has_add_permission(self, request, obj=None):
        return self._may(request, "add" if obj is None else "change")

    def has_change_permission(self, request, obj=None):
        return self._may(request, "add" if obj is None else "change")

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "change")


class SkuMappingForm(forms.ModelForm):
    class Meta:
        model = SkuMapping
        fields = ["shop", "platform_code", "note"]

    def validate_unique(self):
        pass  # a code already mapped is one of check_platform_codes' rules (in any case, not only this one)


@admin.register(SkuMapping)
class SkuMappingAdmin(
    DomainErrorsAsMessages, SpreadsheetImportMixin, TimelineAdminMixin, SelectedRowsExportMixin, admin.ModelAdmin
):
    form = SkuMappingForm
    timeline_builder = staticmethod(sku_mapping_timeline)
    fields = ["shop", "platform_code", "note"]
    inlines = [ComponentInline]
    list_display = ["shop", "platform_code", "components_column", "bundle_column", "note"]
    list_display_links = ["platform_code"]
    list_filter = ["shop", BundleFilter]
    search_fields = ["platform_code", "components__item__sku", "components__item__name"]
    search_help_text = "按商家编码、库存商品的 SKU 或产品名搜索"
    list_select_related = ["shop"]
    import_resource_classes = [SkuMappingImportResource]
    export_form_class = ExportForm
    export_file_stem = "商家编码对应导出"
    export_sheet_title = "商家编码对应"
    show_change_form_export = False

    class Media:
        css = {"all": ["orders/css/admin.css"]}

    def get_queryset(self, request):
        components = SkuMappingComponent.objects.select_related("item").order_by("pk")
        return super().get_queryset(request).prefetch_related(Prefetch("components", queryset=components))

    def get_readonly_fields(self, request, obj=None):
        # A code's shop and spelling stay: another code is another mapping (delete this one, add that).
        return ["shop", "platform_code"] if obj is not None else []

    def get_export_resource_classes(self, request):
        return [SkuMappingExportResource]

    def has_export_permission(self, request):
        return self.has_view_permission(request)  # mappings are no secret: whoever reads them may take them

    @admin.display(description="对应库存商品")
    def components_column(self, mapping):
        return components_text((component.item, component.quantity) for component in mapping.components.all())

    @admin.display(description="组合装")
    def bundle_column(self, mapping):
        return "是" if mapping.is_bundle else "否"

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "商家编码对应", **(extra_context or {})})

    def save_model(self, request, obj, form, change):
        pass  # written with its components by save_related, where the inline's rows are known

    def save_related(self, request, form, formsets, change):
        (components,) = [formset for formset in formsets if isinstance(formset, ComponentFormSet)]
        mapping = services.map_platform_code(
            form.instance.shop,
            form.instance.platform_code,
            components.components(),
            replace=change,
            note=form.cleaned_data.get("note", ""),
            user=request.user,
        )
        form.instance.pk = mapping.pk  # the log entry and the redirect name the saved mapping

    def construct_change_message(self, request, form, formsets, add=False):
        return super().construct_change_message(request, form, [], add)  # the inline was not saved row by row

    def delete_model(self, request, obj):
        services.unmap_platform_codes([obj], user=request.user)

    def delete_queryset(self, request, queryset):
        services.unmap_platform_codes(list(queryset), user=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._with_domain_errors(super().changeform_view, request, object_id, form_url, extra_context)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_map_codes"
        view = self.admin_site.admin_view(map_codes.map_codes_view)
        return [path("map-codes/", view, {"model_admin": self}, name=name), *super().get_urls()]
