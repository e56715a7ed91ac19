"""Admin forms for orders: the list page's editable rows, the change page, 发部分商品, the import's shop.

The forms read what the clerk typed; every decision about shipping (carrier format, number in
use, stock, what is left to ship) is orders.services.check_shipments', shown next to the row.
"""

import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseModelFormSet
from django.forms.utils import ErrorList
from django.utils.html import format_html, format_html_join

from orders import selectors, services
from orders.addresses import split_region
from orders.admin.widgets import DirectHiddenInput, DirectSelect, DirectTextInput
from orders.carriers import describe_guess_problem, guess_carriers, normalize_tracking_number
from orders.models import Order, Parcel, Shop
from orders.platforms.recognise import OWN_LAYOUT
from orders.selectors import only_shop
from spreadsheets.admin import SpreadsheetConfirmForm, SpreadsheetFilesField, SpreadsheetImportForm


def names_sku(message, sku):
    """Whether a service message is about `sku` (its wordings say "SKU <sku>")."""
    return re.search(rf"SKU {re.escape(sku)}(?![\w-])", message) is not None


def version_of(order):
    """What an edit form remembers of the order it was opened on: services bump updated_at on every change."""
    return order.updated_at.isoformat() if order.updated_at else ""


def stale_message(order, unsaved="未保存"):
    return (
        f"订单 {order.order_no} 在你打开页面后已被修改（现在是“{order.get_status_display()}”），"
        f"{unsaved}。请刷新页面后重试。"
    )


def live_parcels(order):
    """The order's live parcels, from the prefetched lines__parcel_lines (see OrderAdmin.get_queryset)."""
    parcels = {}
    for line in order.lines.all():
        for parcel_line in line.parcel_lines.all():
            if parcel_line.parcel.is_live:
                parcels.setdefault(parcel_line.parcel_id, parcel_line.parcel)
    return list(parcels.values())


def all_in_parcels(order):
    """Every unit of an open order is in a live parcel (some waiting as 已取号/已打印): nothing to type.

    Read from the prefetched lines__parcel_lines (live parcels only, see OrderAdmin.get_queryset).
    """
    lines = list(order.lines.all()) if order.pk else []
    return bool(lines) and all(
        sum(pl.quantity for pl in line.parcel_lines.all() if pl.parcel.kind == Parcel.Kind.NORMAL) >= line.quantity
        for line in lines
    )


def safe_url(url):
    """Only http(s) links are rendered: a carrier's template must never become a javascript: link."""
    return url if url.lower().startswith(("http://", "https://")) else ""


def tracking_links(parcels):
    """Each parcel's number, as a link to its carrier's tracking page where there is one; a parcel
    waiting to ship (已取号/已打印) says so."""
    return format_html_join(" ", "{}{}", ((_number_html(parcel), _stage_badge(parcel)) for parcel in parcels))


def _number_html(parcel):
    url = safe_url(parcel.tracking_url)
    if url:
        return format_html(
            '<a class="tracking-link" href="{}" target="_blank" rel="noopener noreferrer" title="查询物流">{}</a>',
            url,
            parcel.tracking_number,
        )
    return format_html('<span class="tracking-link">{}</span>', parcel.tracking_number)


def _stage_badge(parcel):
    if parcel.status not in Parcel.UNSHIPPED:
        return ""
    return format_html(
        '<span class="badge badge-waiting" title="{}">{}</span>',
        "包裹已取号、未发货：扫描面单后才算发货并扣库存",
        parcel.get_status_display(),
    )


def carrier_names(parcels):
    return "、".join(dict.fromkeys(parcel.carrier.name for parcel in parcels))


class ShippedCell(forms.Widget):
    """A list cell that shows what already shipped: the live parcels' numbers or carriers."""

    def __init__(self, html="", input_widget=None):
        super().__init__()
        self.html, self.input_widget = html, input_widget

    def render(self, name, value, attrs=None, renderer=None):
        shown = format_html('<span class="shipped-cell">{}</span>', self.html) if self.html else ""
        if self.input_widget is None:
            return shown or "-"
        return format_html("{}{}", self.input_widget.render(name, value, attrs, renderer), shown)


class PreloadedChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over a small table, read once per page instead of once per row."""

    def __init__(self, objects, current=None, **kwargs):
        self.objects = {str(obj.pk): obj for obj in objects}
        # No queryset: the choices and the lookup come from `objects` (QuerySet.none() per row is slow).
        super().__init__(queryset=None, **kwargs)
        # Inactive carriers are offered only to the rows that already use them.
        self.choices = [("", "---------")] + [
            (obj.pk, str(obj)) for obj in objects if obj.is_active or obj.pk == current
        ]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.objects[str(value)]
        except KeyError:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


class TrackingNumberField(forms.CharField):
    """A tracking number as typed, normalised the one way every path does."""

    def __init__(self, **kwargs):
        super().__init__(max_length=40, required=False, **kwargs)

    def to_python(self, value):
        return normalize_tracking_number(super().to_python(value))


class CarrierFromNumber:
    """Fills a blank 快递公司 from the number when exactly one active carrier's format fits it."""

    carriers = ()
    carrier_guessed = False  # True when the carrier came from the number, not from the clerk

    def fill_carrier(self, cleaned):
        number, carrier = cleaned.get("tracking_number"), cleaned.get("carrier")
        if number and carrier is None:
            guesses = guess_carriers(number, self.carriers)
            if len(guesses) == 1:
                cleaned["carrier"] = guesses[0]
                self.carrier_guessed = True
            else:
                self.add_error("carrier", describe_guess_problem(number, guesses))
        return cleaned


class OrderChangeListForm(CarrierFromNumber, forms.ModelForm):
    """One row of the order list: 快递公司 + 快递单号 ship what is left of an open order in one parcel.

    They are not model fields: OrderChangeList makes them the list's editable columns.
    """

    carrier = forms.Field(required=False, label="快递公司")
    tracking_number = TrackingNumberField(label="快递单号", widget=DirectTextInput(attrs={"size": 16}))
    version = forms.CharField(widget=DirectHiddenInput, required=False)

    class Meta:
        model = Order
        fields = []
        # The formset's hidden primary key uses Meta.widgets["id"] too.
        widgets = {"id": DirectHiddenInput}

    def __init__(self, *args, carriers=(), formset=None, **kwargs):
        super().__init__(*args, **kwargs)
        order = self.instance
        self.carriers, self.formset = carriers, formset
        self.fields["carrier"] = PreloadedChoiceField(carriers, required=False, label="快递公司", widget=DirectSelect)
        self.fields["version"].initial = version_of(order)
        parcels = live_parcels(order) if order.pk else []
        links = tracking_links(parcels)
        if (order.is_open and not all_in_parcels(order)) or self.is_bound:
            # A partly shipped row shows its parcels under the input that ships the rest. A posted
            # row stays enabled whatever the order is now: the version check says what changed.
            self.fields["tracking_number"].widget = ShippedCell(links, self.fields["tracking_number"].widget)
        else:
            # Shipped and cancelled rows are settled: 撤销发货 is an explicit action.
            for name, html in (("carrier", carrier_names(parcels)), ("tracking_number", links)):
                self.fields[name].disabled = True
                self.fields[name].widget = ShippedCell(html)

    def has_changed(self):
        return any(name != "version" for name in self.changed_data)

    def clean(self):
        cleaned = super().clean()
        if self.has_changed() and cleaned.get("version") != version_of(self.instance):
            raise ValidationError(stale_message(self.instance, unsaved="本行未保存"))
        return self.fill_carrier(cleaned)


class LoadedRowField(forms.ModelChoiceField):
    """A row's hidden primary key, checked against the rows its formset already loaded.

    Django's own field runs one query per row to validate it (50 per save of the order list).
    """

    def __init__(self, rows, **kwargs):
        self.rows = rows
        super().__init__(queryset=None, widget=DirectHiddenInput, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            row = self.rows().get(Order._meta.pk.to_python(value))
        except ValidationError:
            row = None
        if row is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return row


class QuietErrorList(ErrorList):
    """An error list that renders an empty list as "" without a template.

    The admin prints every editable cell's errors: 100 empty lists per page of the order list.
    """

    def render(self, template_name=None, context=None, renderer=None):
        return super().render(template_name, context, renderer) if self else ""

    __str__ = render
    __html__ = render


@dataclass
class ShippedRow:
    """One shipped row of a list save: its order, the carrier (guessed from the number or chosen), its parcel."""

    order: Order
    carrier: object
    carrier_guessed: bool
    parcel: object


NOTHING_TO_SAVE = "没有保存任何内容：本页没有填写快递单号的行。请在订单行的“快递单号”里填写或扫描单号后再保存。"


def row_anchor(order):
    """The id of an order's row in the list (change_list_results.html), for links from the banner."""
    return f"order-row-{order.pk}"


def failed_rows_message(orders):
    """The banner of a refused list save: which rows failed (links to them), and that nothing was saved."""
    links = format_html_join("、", '<a href="#{}">{}</a>', [(row_anchor(order), order.order_no) for order in orders])
    return format_html(
        "未保存：{} 个订单有问题：{}（原因见各行）。本页所有行都没有保存，改正后请再点“保存”。", len(orders), links
    )


class OrderChangeListFormSet(BaseModelFormSet):
    """The list's rows of one save: checked together by check_shipments, shipped together by ship_orders.

    Two rows of one receiver with one number become one parcel (合并发货); every problem is shown
    next to its row, and then nothing is saved.
    """

    carriers = ()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_class", QuietErrorList)
        super().__init__(*args, **kwargs)
        self.parcels = None

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "carriers": self.carriers, "formset": self}

    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            queryset = super().get_queryset()
            if self.is_bound:
                # A save holds its rows until the admin's transaction ends, so two clerks saving
                # one row serialise and the second sees the first's version (issue 15.2).
                self._queryset = queryset.select_for_update()
        return self._queryset

    def loaded_rows(self):
        if not hasattr(self, "_loaded_rows"):
            self._loaded_rows = {order.pk: order for order in self.get_queryset()}
        return self._loaded_rows

    def add_fields(self, form, index):
        super().add_fields(form, index)
        pk_name = self.model._meta.pk.name
        field = form.fields[pk_name]
        form.fields[pk_name] = LoadedRowField(self.loaded_rows, initial=field.initial, required=False)

    def shipping_forms(self):
        return [form for form in self.forms if form.is_valid() and form.has_changed()]

    def clean(self):
        super().clean()
        self.check_rows()
        failed = [form.instance for form in self.forms if form.errors]
        if failed:
            # The banner names the rows; each row's own errors are shown next to it.
            raise ValidationError(failed_rows_message(failed))
        if not any(form.has_changed() for form in self.forms):
            raise ValidationError(NOTHING_TO_SAVE)

    def check_rows(self):
        """check_shipments over every changed row at once; each problem goes next to its row."""
        forms_ = self.shipping_forms()
        if not forms_:
            return
        remaining = selectors.remaining_lines(form.instance for form in forms_)
        review = services.check_shipments(
            services.Shipment(
                form.cleaned_data["carrier"],
                form.cleaned_data["tracking_number"],
                remaining[form.instance.pk],
                orders=[form.instance],
            )
            for form in forms_
        )
        for form, problems in zip(forms_, review.problems, strict=True):
            for problem in problems:
                form.add_error(None, problem)

    def ship(self, user):
        """Ship every changed row in one ship_orders call (once per save, whichever row asks first).

        Returns the save's ShippedRow list (None when an earlier row of this save already shipped).
        """
        if self.parcels is not None:
            return None
        forms_ = self.shipping_forms()
        rows = [(form.instance, form.cleaned_data["carrier"], form.cleaned_data["tracking_number"]) for form in forms_]
        parcels = services.ship_orders(rows, user=user)
        self.parcels = {order.pk: parcel for (order, *_), parcel in zip(rows, parcels, strict=True)}
        return [
            ShippedRow(form.instance, form.cleaned_data["carrier"], form.carrier_guessed, parcel)
            for form, parcel in zip(forms_, parcels, strict=True)
        ]


REGION_FIELDS = ("province", "city", "district")


def fill_region(cleaned, fields):
    """省/市/区 from the address (orders.addresses.split_region) when all three shown are left blank."""
    shown = [name for name in REGION_FIELDS if name in fields]
    if shown and cleaned.get("address") and not any(cleaned.get(name) for name in shown):
        region = dict(zip(REGION_FIELDS, split_region(cleaned["address"])[:3], strict=True))
        for name in shown:
            cleaned[name] = region[name][: fields[name].max_length]
    return cleaned


class OrderForm(forms.ModelForm):
    """The order change page; a save is refused when the order changed since the page was opened."""

    version = forms.CharField(label="版本", widget=forms.HiddenInput, required=False)

    class Meta:
        model = Order
        fields = [
            "shop",
            "order_no",
            "customer_id",
            "created_at",
            "ship_by",
            "note",
            "receiver_name",
            "receiver_phone",
            "province",
            "city",
            "district",
            "address",
        ]
        help_texts = {"province": "省/市/区留空时按地址自动识别。"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = version_of(self.instance)

    def clean(self):
        cleaned = super().clean()
        # The instance was read under a row lock (OrderAdmin.get_object), so this is the version now.
        if self.instance.pk and cleaned.get("version") != version_of(self.instance):
            raise ValidationError(stale_message(self.instance))
        return fill_region(cleaned, self.fields)


class ShipPartForm(CarrierFromNumber, forms.Form):
    """发部分商品: how many of each line go in one parcel (default: what is left), its carrier and number."""

    carrier = forms.Field(required=False, label="快递公司")
    tracking_number = TrackingNumberField(label="快递单号")

    def __init__(self, *args, remaining, carriers, **kwargs):
        super().__init__(*args, **kwargs)
        self.carriers, self.remaining = carriers, remaining
        self.fields["carrier"] = PreloadedChoiceField(carriers, required=False, label="快递公司")
        for line, left in remaining:
            self.fields[self.line_field(line)] = forms.IntegerField(
                label=f"{line.item.sku} {line.item.name}", min_value=0, initial=left, required=False
            )

    @staticmethod
    def line_field(line):
        return ShipPartForm.line_field_for(line.pk)

    @staticmethod
    def line_field_for(line_pk):
        return f"line_{line_pk}"

    def line_rows(self):
        """[(line, units left, bound field)] for the template."""
        return [(line, left, self[self.line_field(line)]) for line, left in self.remaining]

    def clean(self):
        return self.fill_carrier(super().clean())

    def lines(self):
        """[(order line, units)] the clerk asked for (0 or blank: not in this parcel)."""
        chosen = [(line, self.cleaned_data.get(self.line_field(line)) or 0) for line, _left in self.remaining]
        return [(line, units) for line, units in chosen if units]

    def add_domain_errors(self, exc):
        """Each message of a refusal next to the line whose SKU it names, or above the form."""
        for message in services.error_messages(exc):
            named = [line for line, _left in self.remaining if names_sku(message, line.item.sku)]
            self.add_error(self.line_field(named[0]) if named else None, message)


PLATFORM_CHOICES = [
    ("", "自动识别"),
    *[(code, label) for code, label in Shop.Platform.choices if code != Shop.Platform.OTHER],
    (OWN_LAYOUT, "本系统格式（见下方列名）"),
]


class OrderImportForm(SpreadsheetImportForm):
    """The order list's upload step, with the shop the file belongs to (order numbers are unique per shop)
    and, for 导入订单, the platform whose export it is (自动识别: by the headers) and up to two files."""

    import_file = SpreadsheetFilesField(
        label="选择文件",
        error_messages=SpreadsheetImportForm.base_fields["import_file"].error_messages,
        help_text=SpreadsheetImportForm.base_fields["import_file"].help_text
        + "导入订单时可同时选择订单文件和商品文件（如淘宝的订单报表和宝贝报表，有赞的订单维度和商品维度）。",
    )
    platform = forms.ChoiceField(
        choices=PLATFORM_CHOICES,
        required=False,
        label="平台",
        help_text="导入订单：平台后台导出的订单文件可直接上传，按表头自动识别平台；也可使用本系统的格式。",
    )

    shop = forms.ModelChoiceField(
        Shop.objects.filter(is_active=True),
        required=False,
        label="店铺",
        empty_label="（不限店铺）",
        help_text="导入订单：新订单归入这个店铺；不选时，平台导出归入该平台唯一的店铺（有多个时必选）。"
        "导入快递单号：只在这个店铺中找订单号；不选则在全部店铺中找，同一订单号在多个店铺都有时该行会提示。",
    )

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.fields["shop"].initial = only_shop()


class OrderImportConfirmForm(SpreadsheetConfirmForm):
    shop = forms.ModelChoiceField(Shop.objects.all(), required=False, widget=forms.HiddenInput)
    platform = forms.ChoiceField(choices=PLATFORM_CHOICES, required=False, widget=forms.HiddenInput)
