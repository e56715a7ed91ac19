"""Admin forms for orders: the list page's editable rows and the change page."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseModelFormSet
from django.forms.utils import ErrorList
from django.utils.html import format_html

from orders.models import Order
from orders.services import stock_shortfalls  # noqa  TODO(real-orders): rewritten on check_shipments
from orders.widgets import DirectHiddenInput, DirectSelect, DirectTextInput

STATUS = Order.Status


class StatusSelect(DirectSelect):
    """The status select, coloured like a badge by its current value."""

    def render_html(self, name, value, attrs):
        attrs = {**attrs, "class": f"status-select status-{value or 'pending'}"}
        return super().render_html(name, value, attrs)


class TextWidget(forms.Widget):
    """Shows a disabled field's value as text (a link when one is given)."""

    def __init__(self, text="", url="", css_class=""):
        super().__init__()
        self.text, self.url, self.css_class = text, url, css_class

    def render(self, name, value, attrs=None, renderer=None):
        if self.url:
            return format_html(
                '<a class="{}" href="{}" target="_blank" rel="noopener noreferrer" title="查询物流">{}</a>',
                self.css_class,
                self.url,
                self.text,
            )
        return format_html('<span class="{}">{}</span>', self.css_class, self.text or "-")


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


def tracking_number_clashes(orders):
    """Yield (order, message) for each order in a batch whose number an earlier one in the
    same batch already uses for a different receiver. Order.clean checks against the database;
    this catches two rows of one save that are validated before either is written."""
    first = {}
    for order in orders:
        earlier = first.setdefault(order.tracking_number, order)
        if earlier is not order and not order.same_receiver(earlier):
            yield (
                order,
                f"快递单号“{order.tracking_number}”已用于本批的订单 {earlier.order_no}（收货人不同），请核对单号。",
            )


def becomes_shipped(form):
    return form.instance.status == STATUS.SHIPPED and form.initial.get("status") != STATUS.SHIPPED


class OrderChangeListForm(forms.ModelForm):
    """One editable row of the order list."""

    version = forms.CharField(widget=DirectHiddenInput, required=False)

    class Meta:
        model = Order
        fields = []  # TODO(real-orders): carrier and number as form fields, shipping through services
        # The formset's hidden primary key uses Meta.widgets["id"] too.
        widgets = {
            "id": DirectHiddenInput,
            "status": StatusSelect,
            "tracking_number": DirectTextInput(attrs={"size": 16}),
        }

    def __init__(self, *args, carriers=(), **kwargs):
        super().__init__(*args, **kwargs)
        order = self.instance
        self.fields["carrier"] = PreloadedChoiceField(
            carriers, current=order.carrier_id, required=False, label="快递公司", widget=DirectSelect
        )
        self.fields["version"].initial = order.updated_at.isoformat() if order.updated_at else ""
        if order.status != STATUS.PENDING:
            # Shipped and cancelled rows are settled; undo (status → 待发货) to correct them.
            self.fields["carrier"].disabled = True
            self.fields["carrier"].widget = TextWidget(order.carrier.name if order.carrier_id else "")
            self.fields["tracking_number"].disabled = True
            self.fields["tracking_number"].widget = TextWidget(
                order.tracking_number, order.tracking_url, css_class="tracking-link"
            )

    def has_changed(self):
        return any(name != "version" for name in self.changed_data)

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("version")
        current = self.instance.updated_at.isoformat() if self.instance.updated_at else ""
        if self.has_changed() and seen and seen != current:
            order = self.instance
            raise ValidationError(
                f"订单 {order.order_no} 在你打开页面后已被修改（现在是“{order.get_status_display()}”），"
                "本行未保存。请刷新页面后重试。"
            )
        return cleaned


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

    The admin prints every editable cell's errors: 150 empty lists per page of the order list.
    """

    def render(self, template_name=None, context=None, renderer=None):
        return super().render(template_name, context, renderer) if self else ""

    __str__ = render
    __html__ = render


class OrderChangeListFormSet(BaseModelFormSet):
    """Checks stock for all rows shipped in one save together, next to the row that runs out."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_class", QuietErrorList)
        super().__init__(*args, **kwargs)

    carriers = ()

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "carriers": self.carriers}

    def loaded_rows(self):
        if not hasattr(self, "_loaded_rows"):
            self._loaded_rows = {order.pk: order for order in self.get_queryset()}
        return self._loaded_rows

    def add_fields(self, form, index):
        super().add_fields(form, index)
        pk_name = self.model._meta.pk.name
        field = form.fields[pk_name]
        form.fields[pk_name] = LoadedRowField(self.loaded_rows, initial=field.initial, required=False)

    def clean(self):
        super().clean()
        shipping = [f for f in self.forms if f.is_valid() and f.has_changed() and becomes_shipped(f)]
        by_order = {f.instance.pk: f for f in shipping}
        for order, message in stock_shortfalls([f.instance for f in shipping]):
            by_order[order.pk].add_error(None, message)
        for order, message in tracking_number_clashes([f.instance for f in shipping]):
            by_order[order.pk].add_error("tracking_number", message)


class OrderForm(forms.ModelForm):
    """The order change page."""

    class Meta:
        model = Order
        fields = [
            "order_no",
            "customer_id",
            "created_at",
            "note",
            "receiver_name",
            "receiver_phone",
            "address",
        ]
        widgets = {"status": StatusSelect}

    def _post_clean(self):
        # The stock check needs the instance as edited, which ModelForm builds only here.
        super()._post_clean()
        if not self.errors and becomes_shipped(self):
            for _order, message in stock_shortfalls([self.instance]):
                self.add_error(None, message)
