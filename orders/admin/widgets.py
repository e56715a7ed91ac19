"""Form widgets rendered in Python rather than through Django's widget templates.

The order list renders about 250 widgets per page (status, carrier, tracking number and two
hidden fields on each of 50 rows); through the template engine that was most of the page's
server time. These produce the same markup as Django's templates for the cases we use (no
option groups, one value), escaping every value and label.
"""

from html import escape

from django import forms
from django.utils.safestring import mark_safe


def _attrs_html(attrs):
    """Like django.forms.utils.flatatt: True is a bare attribute, False and None are left out."""
    parts = []
    for key, value in attrs.items():
        if value is True:
            parts.append(f" {escape(key)}")
        elif value is not False and value is not None:
            parts.append(f' {escape(key)}="{escape(str(value))}"')
    return "".join(parts)


class DirectRenderMixin:
    def render(self, name, value, attrs=None, renderer=None):
        return mark_safe(self.render_html(name, value, self.build_attrs(self.attrs, attrs)))  # noqa: S308 (escaped)


class DirectInput(DirectRenderMixin):
    def render_html(self, name, value, attrs):
        value = self.format_value(value)
        value_attr = f' value="{escape(str(value))}"' if value is not None else ""
        return f'<input type="{self.input_type}" name="{escape(name)}"{value_attr}{_attrs_html(attrs)}>'


class DirectTextInput(DirectInput, forms.TextInput):
    pass


class DirectHiddenInput(DirectInput, forms.HiddenInput):
    pass


class DirectSelect(DirectRenderMixin, forms.Select):
    def render_html(self, name, value, attrs):
        chosen = self.format_value(value)
        selected = chosen[0] if chosen else None
        options = "".join(
            f'<option value="{escape(str(option_value))}"{" selected" if str(option_value) == selected else ""}>'
            f"{escape(str(label))}</option>"
            for option_value, label in self.choices
        )
        return f'<select name="{escape(name)}"{_attrs_html(attrs)}>{options}</select>'
