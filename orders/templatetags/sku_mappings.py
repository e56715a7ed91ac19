"""{% map_codes_form as form %}: what admin/orders/skumapping/map_codes_form.html draws (orders.admin.map_codes)."""

from django import template

from orders.admin import map_codes

register = template.Library()


@register.simple_tag(takes_context=True)
def map_codes_form(context):
    return map_codes.form_context(context)
