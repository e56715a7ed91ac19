"""对应商家编码 on the spot: the codes a platform file names that no mapping or SKU knows, each given
its items (a 组合装 when several) and written at once by services.map_platform_codes.

The form is the include admin/orders/skumapping/map_codes_form.html, drawn from `form_context`
(the import preview puts it in its page with `shop`, `codes` and `next`); it posts to
`map_codes_view`, which also shows it as a page of its own.
"""

import re
from dataclasses import dataclass, field
from itertools import zip_longest

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.forms.utils import flatatt
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from inventory.models import InventoryItem
from orders import services
from orders.models import Shop, SkuMappingComponent
from orders.selectors import only_shop, platform_code_key

PAGE_TEMPLATE = "admin/orders/skumapping/map_codes.html"
URL_NAME = "admin:orders_skumapping_map_codes"
# A page names at most this many codes and items per code; more is a tampered form, not a clerk.
MAX_ROWS = 500
MAX_COMPONENTS = 20
SLOT = re.compile(r"item-(\d+)-(\d+)")
ITEM_GONE = "所选库存商品已不存在，请重新选择。"
# After the admin's autocomplete.js, which defines djangoAdminSelect2 (naming it keeps the merged order).
MAP_CODES_MEDIA = forms.Media(
    js=["admin/js/autocomplete.js", "orders/js/map_codes.js"], css={"all": ["orders/css/map_codes.css"]}
)


@dataclass
class CodeRow:
    """One code of the form: what the file calls it, the items chosen for it (item, quantity as typed), its problems."""

    index: int
    code: str
    name: str = ""
    components: list = field(default_factory=lambda: [(None, "1")])
    problems: list = field(default_factory=list)

    @property
    def chosen(self):
        return [(item, quantity) for item, quantity in self.components if item is not None]


def rows_from_codes(codes):
    """The form's rows for `codes`: each a code, a (code, product name) pair, or {"code": …, "name": …}.

    Blank codes are left out, and a code given twice (in any spelling, platform_code_key) is one row.
    """
    rows, seen = [], set()
    for entry in codes:
        if isinstance(entry, str):
            code, name = entry, ""
        elif isinstance(entry, dict):
            code, name = entry.get("code", ""), entry.get("name", "")
        else:
            code, name = [*entry, "", ""][:2]
        code = str(code or "").strip()
        if code and platform_code_key(code) not in seen:
            seen.add(platform_code_key(code))
            rows.append(CodeRow(len(rows), code, str(name or "").strip()))
    return rows


def rows_from_post(data):
    """The rows as posted, with what was typed kept (items read in one query); a gone item is a problem."""
    count = min(_whole(data.get("rows")), MAX_ROWS)
    slots = {}
    for key in data:
        match = SLOT.fullmatch(key)
        if match and int(match[1]) < count and int(match[2]) < MAX_COMPONENTS:
            slots.setdefault(int(match[1]), []).append(int(match[2]))
    picked = {(i, j): data.get(f"item-{i}-{j}", "").strip() for i, js in slots.items() for j in js}
    items = InventoryItem.objects.in_bulk([int(pk) for pk in picked.values() if pk.isdigit()])
    rows = []
    for index in range(count):
        row = CodeRow(index, data.get(f"code-{index}", "").strip(), data.get(f"name-{index}", "").strip(), [])
        for slot in sorted(slots.get(index, [])):
            pk = picked[(index, slot)]
            item = items.get(int(pk)) if pk.isdigit() else None
            if pk and item is None:
                row.problems.append(ITEM_GONE)
            quantity = data.get(f"quantity-{index}-{slot}", "").strip()
            if item is not None or slot == 0 or quantity not in ("", "1"):
                row.components.append((item, quantity))
        row.components = row.components or [(None, "1")]
        rows.append(row)
    return rows


def _whole(text):
    return int(text) if text and text.isdigit() and len(text) < 6 else 0


def _picker():
    """The admin's own autocomplete for a component's item: select2 on /admin/autocomplete/, local files."""
    return AutocompleteSelect(SkuMappingComponent._meta.get_field("item"), admin.site)


def form_context(context):
    """What the include draws, from its template context: `shop`, `codes` and `next` (the import
    preview's), or the rows and problems map_codes_view left there (`map_codes_rows`)."""
    rows = context.get("map_codes_rows")
    if rows is None:
        rows = rows_from_codes(context.get("codes") or [])
    picker = _picker()
    shop = context.get("shop") or only_shop()
    return {
        "rows": rows,
        "shop": shop,
        "next": context.get("next") or "",
        "action": reverse(URL_NAME),
        "picker_attrs": flatatt(picker.build_attrs(picker.attrs)),
        "media": picker.media + MAP_CODES_MEDIA,
        "top_problems": context.get("map_codes_problems") or [],
        "standalone": "map_codes_rows" in context,  # the view's own page, which offers a way back
    }


def _shop(pk):
    if pk is None or pk == "":
        return only_shop()
    return Shop.objects.filter(pk=pk).first() if str(pk).isdigit() else None


def _next_url(request, given):
    """`given` when it is a page of this site, else the mapping list (an outside `next` is refused)."""
    allowed = url_has_allowed_host_and_scheme(
        given, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return given if given and allowed else reverse("admin:orders_skumapping_changelist")


def map_codes_view(request, model_admin):
    """GET: the form for ?shop=&code=…&code=…&next= (and name=… per code, optional). POST: map the
    filled rows, then back to `next`."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    shop, next_url = _shop(data.get("shop")), _next_url(request, data.get("next", ""))
    problems = [] if shop is not None else ["店铺不存在或未选择，请从导入页重新打开这个页面。"]
    if request.method != "POST":
        names = request.GET.getlist("name")  # optional, in the order of the codes
        rows = rows_from_codes(zip_longest(request.GET.getlist("code"), names[: len(request.GET.getlist("code"))]))
    else:
        rows = rows_from_post(request.POST)
        filled = [row for row in rows if row.chosen]
        if shop is not None and not filled:
            problems.append("没有选择任何库存商品：请至少为一个商家编码选择对应的库存商品。")
        if not problems and not any(row.problems for row in rows):
            try:
                services.map_platform_codes(shop, [(row.code, row.chosen) for row in filled], user=request.user)
            except services.MappingRefused as exc:
                for index, row_messages in exc.row_messages.items():
                    filled[index].problems.extend(row_messages)
            else:
                model_admin.message_user(request, f"已对应 {len(filled)} 个商家编码", messages.SUCCESS)
                if len(filled) < len(rows):
                    left = f"另有 {len(rows) - len(filled)} 个商家编码未选择库存商品，仍未对应。"
                    model_admin.message_user(request, left, messages.WARNING)
                return HttpResponseRedirect(next_url)
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "对应商家编码",
        "shop": shop,
        "next": next_url,
        "map_codes_rows": rows,
        "map_codes_problems": problems,
    }
    return TemplateResponse(request, PAGE_TEMPLATE, context)
