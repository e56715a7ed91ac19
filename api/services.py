"""The API's writes: clients and their keys, orders pushed in (idempotent), the call log.

Orders are written by orders.services (create_orders, cancel_order): the same rules, messages and
ledger as the admin.
"""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone

from api.errors import ApiError
from api.keys import key_hash, new_key, new_webhook_secret
from api.models import ApiCall, ApiClient, IdempotencyKey, Scope
from orders import services as order_services
from orders.models import Order, OrderLine, receiver_key
from orders.selectors import order_no_key, orders_by_number


def create_api_client(client):
    """Save the new, unsaved `client` with a fresh key and webhook secret; returns the key.

    The key is not stored (only its hash) and cannot be shown again.
    """
    unknown = set(client.scopes) - set(Scope.values)
    if unknown:
        raise ValueError(f"unknown scopes {sorted(unknown)}")
    client.scopes = [scope for scope in Scope.values if scope in client.scopes]
    client.key_prefix, key = new_key()
    client.key_hash = key_hash(key)
    client.webhook_secret = new_webhook_secret()
    client.save(force_insert=True)
    return key


def revoke_clients(clients):
    """吊销: the clients' keys stop working at once (their calls and deliveries stay on record). Returns how many."""
    return ApiClient.objects.filter(pk__in=[c.pk for c in clients], revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def record_call(client, method, path, status_code, duration_ms):
    ApiCall.objects.create(
        client=client, method=method, path=path[:300], status_code=status_code, duration_ms=max(0, int(duration_ms))
    )


# --- Orders in --------------------------------------------------------------------------------


def body_hash(data):
    """A request body's fingerprint, the same for the same JSON whatever its key order or spacing."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def place_order(client, data, *, raw, idempotency_key=None):
    """Create the order of `data` (OrderCreateSerializer's validated data) in the client's shop.

    Returns (order, created); a created order carries its lines as `lines_created`. The same order
    number again gives the existing order (created False) when it is the same order (receiver, SKUs
    and quantities), and is refused otherwise;
    an `idempotency_key` already used with another body (`raw`, the request's JSON) is refused.
    Concurrent requests for one number make one order: the (shop, order_no) constraint decides.
    """
    fingerprint = body_hash(raw)
    if idempotency_key:
        earlier = _keyed_order(client, idempotency_key, fingerprint)
        if earlier is not None:
            return earlier, False
    order, lines = _draft(client, data)
    existing = _existing(client, order.order_no)
    if existing is not None:
        return _same_order(client, existing, order, lines, idempotency_key, fingerprint), False
    try:
        with transaction.atomic():
            order_services.create_orders([(order, lines)], shop=client.shop)
            if idempotency_key:
                IdempotencyKey.objects.create(client=client, key=idempotency_key, body_hash=fingerprint, order=order)
    except IntegrityError:
        # Another request won the race for the number (or the key): answer with its order.
        if idempotency_key:
            earlier = _keyed_order(client, idempotency_key, fingerprint)
            if earlier is not None:
                return earlier, False
        existing = _existing(client, order.order_no)
        if existing is None:
            raise
        return _same_order(client, existing, order, lines, idempotency_key, fingerprint), False
    order.lines_created = lines
    return order, True


def _draft(client, data):
    receiver = data["receiver"]
    order = Order(
        order_no=data["order_no"].strip(),
        shop=client.shop,
        customer_id=data["customer_id"],
        receiver_name=receiver["name"],
        receiver_phone=receiver["phone"],
        address=receiver["address"],
        province=receiver["province"],
        city=receiver["city"],
        district=receiver["district"],
        note=data["buyer_message"],
        ship_by=data["ship_by"],
    )
    if data.get("ordered_at"):
        order.created_at = data["ordered_at"]
    lines = [
        OrderLine(item=line["item"], quantity=line["quantity"], sub_order_no=line["sub_order_no"])
        for line in data["lines"]
    ]
    return order, lines


def _existing(client, order_no):
    found = orders_by_number([order_no], shop=client.shop).get(order_no_key(order_no))
    return found[0] if found else None


def _same_order(client, existing, order, lines, idempotency_key, fingerprint):
    """`existing` when it is the order the request describes (then the key is kept for it too); else refused."""
    _refuse_if_different(existing, order, lines)
    if idempotency_key:
        _remember_key(client, idempotency_key, fingerprint, existing)
    return existing


def _refuse_if_different(existing, order, lines):
    stored = sorted(existing.lines.values_list("item_id", "quantity", "sub_order_no"))
    sent = sorted((line.item.pk, line.quantity, line.sub_order_no) for line in lines)
    if receiver_key(existing) != receiver_key(order) or stored != sent:
        raise ApiError(
            409,
            "order_exists",
            f"订单 {existing.order_no} 已存在，且收货信息或商品与本次请求不同；已有订单不会被覆盖。",
            "order_no",
        )


def _keyed_order(client, key, fingerprint):
    """The order an earlier request with `key` made, or None; refused when that request's body differs."""
    earlier = IdempotencyKey.objects.select_related("order").filter(client=client, key=key).first()
    if earlier is None:
        return None
    if earlier.body_hash != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"Idempotency-Key“{key}”已用于另一个不同内容的请求（订单 {earlier.order.order_no}），请为新请求换一个键。",
        )
    return earlier.order


def _remember_key(client, key, fingerprint, order):
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(client=client, key=key, body_hash=fingerprint, order=order)
    except IntegrityError:
        _keyed_order(client, key, fingerprint)  # the same key raced in: refused if its body differs
