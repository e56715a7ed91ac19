"""Receivers' personal data (PIPL): masked by default, every full view recorded."""

import re

from django.utils import timezone

from orders.models import ReceiverReveal

MASK = "****"

# Up to three administrative levels at the start of a Chinese address: 省/市/区(县).
_REGION = re.compile(r"(?:[^省市区县\s\d]{1,8}?(?:特别行政区|自治区|自治州|自治县|地区|省|市|区|县)){1,3}")


def mask_phone(phone):
    """13812340000 → 138****0000; short or odd numbers keep even less."""
    phone = (phone or "").strip()
    if len(phone) >= 8:
        return f"{phone[:3]}{MASK}{phone[-4:]}"
    if len(phone) > 2:
        return f"{phone[0]}{'*' * (len(phone) - 2)}{phone[-1]}"
    return "*" * len(phone)


def short_address(address):
    """Province, city and district only: 上海市浦东新区张杨路100号 → 上海市浦东新区****."""
    address = " ".join((address or "").split())
    if not address:
        return ""
    region = _REGION.match(address)
    kept = region.group(0) if region else address[:6]
    return f"{kept}{MASK}" if len(kept) < len(address) else kept


def full_receiver_text(order):
    """What the 复制 button copies: name, phone and address, separated by spaces."""
    return f"{order.receiver_name} {order.receiver_phone} {order.address}"


def record_reveal(order, user, how, detail=""):
    """Record that `user` saw `order`'s full receiver details (`how`: a ReceiverReveal.How)."""
    return ReceiverReveal.objects.create(order=order, order_no=order.order_no, user=user, how=how, detail=detail[:200])


def record_bulk_reveal(orders, user, how, detail=""):
    """One record per order, in one INSERT (an export of many orders)."""
    now = timezone.now()
    ReceiverReveal.objects.bulk_create(
        [
            ReceiverReveal(
                order=order, order_no=order.order_no, user=user, how=how, detail=detail[:200], revealed_at=now
            )
            for order in orders
        ]
    )


EXPORT_FULL_PERMISSION = "orders.export_full_receiver"


def may_export_full(user):
    """Whether `user` may export receivers' full phone and address (otherwise exports are masked)."""
    return user.has_perm(EXPORT_FULL_PERMISSION)


def receiver_for_export(order, *, full):
    """(phone, address) as an export row shows them: masked unless `full`. A full export must also
    call record_bulk_reveal(orders, user, ReceiverReveal.How.EXPORT)."""
    if full:
        return order.receiver_phone, order.address
    return mask_phone(order.receiver_phone), short_address(order.address)


def record_export_reveal(user, detail):
    """One record for an export with full details: which orders is said by `detail` (the export's
    scope), since one row per order would cost 100,000 INSERTs for a big export."""
    return ReceiverReveal.objects.create(user=user, how=ReceiverReveal.How.EXPORT, detail=detail[:200])
