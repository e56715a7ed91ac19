"""Who may do what: the staff roles (groups) and the field-level rules the admin applies.

ROLE_PERMISSIONS is the single table that `manage.py setup_roles` turns into groups. A codename in
OPTIONAL_PERMISSIONS is granted when some app defines it and skipped (with a note) when none does,
so a feature that adds a permission needs one line here and nothing else.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

OPS = "运营"
MANAGERS = "经理"

ROLE_PERMISSIONS = {
    # Ops take orders in (导入订单 from the platforms, 粘贴下单 from a chat, the add form), ship them
    # and correct receivers' addresses; they read items and the ledger to know what is in stock, and
    # the carriers' number formats; they manage the SKU mappings. No deleting, no other adding, no
    # carrier changes, no users, no stock corrections; an order's lines stay CHANGE_ORDER_DETAILS'.
    OPS: [
        "orders.view_order",
        "orders.add_order",
        "orders.view_carrier",  # read-only: which number belongs to which carrier
        "orders.change_order",  # also the tracking-number import (its permission is change)
        # 挂起 and 解除挂起, rule holds included: a rule only asks a person to look, and ops are that person.
        "orders.hold_order",
        "orders.view_shop",  # the shop filter and column; shops are configured by admins
        # 商家编码对应: ops meet the platform's codes on import, so they map them (the import, the
        # on-the-spot form and the list); each change leaves a history row.
        "orders.view_skumapping",
        "orders.add_skumapping",
        "orders.change_skumapping",
        "orders.delete_skumapping",
        "orders.export_batch_ship",  # 发货回传: the night's upload of numbers back to the platforms
        # 售后: open cases, receive returns on the desk, reissue, complete / reject.
        "orders.view_aftersalecase",
        "orders.handle_aftersalecase",
        "inventory.view_inventoryitem",
        "inventory.view_stockmovement",
        "logistics.view_waybillbatch",  # the progress page 电子面单下单 opens
        "logistics.view_waybill",
        "orders.view_packingcheck",  # 验货记录: what the desk checked, and what was forced out
    ],
    # Managers read everything, take the report and exports, and correct stock (item change,
    # which writes the ledger through adjust_stock). They never edit orders.
    MANAGERS: [
        "orders.view_order",
        "orders.view_carrier",
        "orders.view_shop",
        "orders.view_skumapping",
        "orders.view_shipping_report",
        "orders.export_order",
        "orders.export_batch_ship",
        "inventory.view_inventoryitem",
        "inventory.change_inventoryitem",
        "inventory.export_inventoryitem",
        "inventory.view_stockmovement",
        "logistics.view_waybillbatch",
        "logistics.view_waybill",
        "logistics.view_tracking",
        "logistics.view_sender",
        "orders.view_receiverreveal",  # who saw receivers' full details (PIPL access log)
        "orders.view_aftersalecase",
        "orders.view_packingcheck",
    ],
}

# Permissions that other features define; granted once they exist.
OPTIONAL_PERMISSIONS = {
    "orders.view_shipping_report",
    "orders.export_order",
    "inventory.export_inventoryitem",
}

# The admin index's figures and chart are order data: shown only to users who may read orders;
# the low-stock card also needs reading items. A staff user in no group sees neither.
DASHBOARD_PERMISSION = "orders.view_order"
LOW_STOCK_CARD_PERMISSION = "inventory.view_inventoryitem"

# Order fields anyone who may change an order may edit; the rest, and the order's lines (items,
# quantities, 子订单号), need CHANGE_ORDER_DETAILS. Shipping is not a field: parcels, through the services.
ORDER_RECEIVER_FIELDS = ("receiver_name", "receiver_phone", "province", "city", "district", "address")
CHANGE_ORDER_DETAILS = "orders.change_order_details"


def order_fields_locked_for(user, order_fields):
    """The order fields `user` sees read-only on an existing order's page.

    Changing what was sold (number, buyer, dates, note; the lines) needs CHANGE_ORDER_DETAILS;
    ops ship, void, cancel and fix receivers.
    """
    if user.has_perm(CHANGE_ORDER_DETAILS):
        return []
    return [name for name in order_fields if name not in ORDER_RECEIVER_FIELDS]


def _permission(dotted):
    app_label, codename = dotted.split(".", 1)
    return (
        Permission.objects.select_related("content_type")
        .filter(content_type__app_label=app_label, codename=codename)
        .first()
    )


@transaction.atomic
def setup_roles(roles=ROLE_PERMISSIONS, optional=OPTIONAL_PERMISSIONS):
    """Create or update each group so it holds exactly its listed permissions.

    Returns {group name: [granted codenames]} and the optional codenames that were skipped.
    Raises LookupError for a required codename that no app defines (a typo, or a missing migration).
    """
    granted, skipped = {}, []
    for name, codenames in roles.items():
        permissions = []
        for dotted in codenames:
            permission = _permission(dotted)
            if permission is None:
                if dotted not in optional:
                    raise LookupError(f"权限 {dotted} 不存在，请先运行 migrate 或检查拼写。")
                skipped.append(dotted)
                continue
            permissions.append(permission)
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
        granted[name] = sorted(f"{p.content_type.app_label}.{p.codename}" for p in permissions)
    return granted, sorted(set(skipped))
