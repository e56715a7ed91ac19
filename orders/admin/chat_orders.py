"""粘贴下单: an order from a buyer's chat message (WeChat / 私域), issue 17.

The clerk pastes the message, 识别 splits it (orders.addresses) and matches its products
(inventory.selectors.match_items) into an editable confirmation form, and 确认下单 writes the order
through services.create_chat_order. A refusal writes nothing and shows each problem by its field.
"""

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from inventory.models import InventoryItem
from inventory.selectors import match_items
from orders import services
from orders.addresses import parse_receiver_message
from orders.models import Order, OrderLine, Shop
from orders.selectors import only_shop

TEMPLATE = "admin/orders/order/add_from_message.html"
LINES_PREFIX = "lines"
MAX_QUANTITY = 9999
MAX_MESSAGE_LENGTH = 1000


class MessageForm(forms.Form):
    """The pasted message; one order's worth (a longer paste is refused, never split for seconds)."""

    message = forms.CharField(
        label="粘贴买家发来的消息",
        max_length=MAX_MESSAGE_LENGTH,
        strip=True,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "cols": 80,
                "autofocus": True,
                "placeholder": "例如：张三 13800138000-1234 浙江省杭州市西湖区文三路1号 蓝色T恤L 2件",
            }
        ),
        error_messages={
            "required": "请先粘贴买家发来的消息。",
            "max_length": f"消息太长（超过 {MAX_MESSAGE_LENGTH} 字），请只粘贴一个订单的收货信息和商品。",
        },
    )


class ChatOrderForm(forms.ModelForm):
    """The receiver and shop of the new order, as 识别 filled them and the clerk corrected them."""

    class Meta:
        model = Order
        fields = ["shop", "receiver_name", "receiver_phone", "province", "city", "district", "address", "note"]
        labels = {"note": "备注"}
        help_texts = {
            "address": "快递面单上打印的整行地址。",
            "note": "买家消息里没有用上的话；填了备注的订单按审单规则会被挂起（买家留言）。",
        }
        widgets = {
            "province": forms.TextInput(attrs={"class": "region-input", "placeholder": "省", "aria-label": "省"}),
            "city": forms.TextInput(attrs={"class": "region-input", "placeholder": "市", "aria-label": "市"}),
            "district": forms.TextInput(attrs={"class": "region-input", "placeholder": "区/县", "aria-label": "区/县"}),
            "address": forms.TextInput(attrs={"size": 60}),
            "note": forms.Textarea(attrs={"rows": 2, "cols": 60}),
        }
        error_messages = {
            "shop": {"required": "请选择店铺。"},
            "receiver_name": {"required": "请填写收货人。"},
            "receiver_phone": {"required": "请填写电话。"},
            "address": {"required": "请填写地址。"},
        }

    # Made by 识别 and sent back with 确认下单: the same confirmation twice makes one order.
    paste_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = Shop.objects.filter(is_active=True).order_by("name")
        self.fields["shop"].empty_label = "请选择店铺"


class ItemAutocomplete(AutocompleteSelect):
    """The admin's item autocomplete, drawing its chosen item from the formset's one read (`known`)."""

    known = None  # {str(pk): InventoryItem}

    def optgroups(self, name, value, attr=None):
        if self.known is None:
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        for pk in dict.fromkeys(str(v) for v in value if v not in ("", None)):
            if pk in self.known:
                options.append(self.create_option(name, int(pk), str(self.known[pk]), True, len(options)))
        return [(None, options, 0)]


class ItemField(forms.ModelChoiceField):
    """A line's item, looked up among the items the formset read at once (`known`)."""

    known = None

    def to_python(self, value):
        if self.known is None or value in self.empty_values:
            return super().to_python(value)
        try:
            return self.known[str(value)]
        except KeyError:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


class ChatLineForm(forms.Form):
    """One line: the item (the admin's own autocomplete by SKU or name) and its quantity."""

    item = ItemField(
        InventoryItem.objects.all(),
        label="商品",
        widget=ItemAutocomplete(
            OrderLine._meta.get_field("item"), admin.site, attrs={"data-placeholder": "输入 SKU 或产品名"}
        ),
        error_messages={"required": "请选择商品。", "invalid_choice": "这个商品已不存在，请重新选择。"},
    )
    quantity = forms.IntegerField(
        label="数量",
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        widget=forms.NumberInput(attrs={"class": "vIntegerField"}),
        error_messages={
            "required": "请填写数量。",
            "min_value": "数量至少为 1。",
            "max_value": f"数量最多为 {MAX_QUANTITY}。",
            "invalid": "数量请填整数。",
        },
    )
    words = forms.CharField(widget=forms.HiddenInput, required=False)  # what the buyer wrote for it


class BaseChatLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The rows' items in one query, for checking and for drawing them: queries stay flat in rows.
        posted = [self.data.get(f"{form.prefix}-item", "") for form in self.forms] if self.is_bound else []
        known = InventoryItem.objects.in_bulk([pk for pk in posted if str(pk).isdigit()])
        known = {str(pk): item for pk, item in known.items()}
        for form in self.forms:
            form.fields["item"].known = form.fields["item"].widget.known = known

    def clean(self):
        if any(self.errors):
            return
        if not self.lines():
            raise ValidationError("请至少添加一件商品。")

    def lines(self):
        """[(item, quantity)] of the rows kept (not 删除, not left blank)."""
        return [
            (form.cleaned_data["item"], form.cleaned_data["quantity"])
            for form in self.forms
            if form.cleaned_data.get("item") and not form.cleaned_data.get("DELETE")
        ]


ChatLineFormSet = forms.formset_factory(ChatLineForm, formset=BaseChatLineFormSet, extra=0, can_delete=True)


def confirmation_data(parsed, shop):
    """The confirmation form's data for a parsed message: products matched to items, one blank row.

    Words that name no product and match no item go to the note, so nothing the buyer said is lost.
    """
    products = [(product.text, product.quantity) for product in parsed.products]
    leftover_items = match_items(parsed.leftover)
    products += [(word, 1) for word, item in zip(parsed.leftover, leftover_items, strict=True) if item]
    unused = [word for word, item in zip(parsed.leftover, leftover_items, strict=True) if not item]
    items = match_items([text for text, _quantity in products])
    rows = [(item.pk if item else "", quantity, text) for (text, quantity), item in zip(products, items, strict=True)]
    rows.append(("", 1, ""))  # a blank row to pick one more item
    data = {
        "paste_key": uuid.uuid4().hex,
        "shop": shop.pk if shop else "",
        "receiver_name": parsed.name,
        "receiver_phone": parsed.phone,
        "province": parsed.province,
        "city": parsed.city,
        "district": parsed.district,
        "address": parsed.address,
        "note": " ".join(filter(None, [parsed.note, *unused])),
        f"{LINES_PREFIX}-TOTAL_FORMS": str(len(rows)),
        f"{LINES_PREFIX}-INITIAL_FORMS": "0",
    }
    for index, (item_pk, quantity, words) in enumerate(rows):
        data.update(
            {
                f"{LINES_PREFIX}-{index}-item": item_pk,
                f"{LINES_PREFIX}-{index}-quantity": str(quantity),
                f"{LINES_PREFIX}-{index}-words": words,
            }
        )
    return data


def _show_parse_problems(form, formset, parsed):
    """After 识别: what the message did not say, in place of the form's generic 'required'."""
    form.is_valid()
    formset.is_valid()
    for name, problem in parsed.problems.items():
        form.errors[name] = form.error_class([problem])
    for row in formset.forms:
        words = row["words"].value()
        if words and row.errors.get("item"):
            row.errors["item"] = row.error_class([f"没有找到“{words}”对应的商品，请选择或删除这一行。"])


def _created_message(order, lines):
    kinds, pieces = len({line.item_id for line in lines}), sum(line.quantity for line in lines)
    text = f"已创建订单 {order.order_no}（{order.shop}，{kinds} 种商品共 {pieces} 件，收货人 {order.receiver_name}）。"
    holds = services.active_holds([order.pk]).get(order.pk)
    if holds:
        reasons = "；".join(dict.fromkeys(services.hold_text(hold) for hold in holds))
        text += f"按审单规则已挂起（{reasons}），解除前不能发货。"
    return text


def add_from_message_view(request, model_admin):
    """粘贴下单: paste → 识别 → correct → 确认下单 (services.create_chat_order)."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    pasted = MessageForm(request.POST if request.method == "POST" else None)
    form = formset = None
    if request.method == "POST" and "_confirm" in request.POST:
        # The order stands on the confirmation form; the message is only kept for another 识别.
        pasted = MessageForm(initial={"message": request.POST.get("message", "")})
        form = ChatOrderForm(request.POST)
        formset = ChatLineFormSet(request.POST, prefix=LINES_PREFIX)
        if form.is_valid() and formset.is_valid():
            order = form.save(commit=False)
            order.created_at = timezone.now()
            lines = [OrderLine(item=item, quantity=quantity) for item, quantity in formset.lines()]
            try:
                order, created = services.create_chat_order(
                    order, lines, paste_key=form.cleaned_data["paste_key"], user=request.user
                )
            except ValidationError as exc:
                for problem in services.error_messages(exc):
                    form.add_error(None, problem)
            else:
                if created:
                    model_admin.message_user(request, _created_message(order, lines), messages.SUCCESS)
                else:
                    model_admin.message_user(
                        request, f"这条消息已经下过单（订单 {order.order_no}），没有再创建新订单。", messages.WARNING
                    )
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
    elif request.method == "POST" and pasted.is_valid():
        parsed = parse_receiver_message(pasted.cleaned_data["message"])
        data = confirmation_data(parsed, only_shop())
        form = ChatOrderForm(data)
        formset = ChatLineFormSet(data, prefix=LINES_PREFIX)
        _show_parse_problems(form, formset, parsed)
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "粘贴下单",
        "pasted": pasted,
        "form": form,
        "formset": formset,
        "media": model_admin.media + (form.media + formset.media if form else forms.Media()),
    }
    return TemplateResponse(request, TEMPLATE, context)
