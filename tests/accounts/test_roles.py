import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from accounts.roles import MANAGERS, OPS, ROLE_PERMISSIONS, order_fields_locked_for, setup_roles

pytestmark = pytest.mark.django_db


def codenames(group_name):
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def defined(dotted):
    app_label, codename = dotted.split(".")
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).exists()


def test_setup_roles_grants_exactly_the_table():
    call_command("setup_roles", stdout=__import__("io").StringIO())
    for name in (OPS, MANAGERS):
        assert codenames(name) == {p for p in ROLE_PERMISSIONS[name] if defined(p)}
    assert {"orders.change_order", "orders.view_order"} <= codenames(OPS)
    assert "inventory.change_inventoryitem" in codenames(MANAGERS)
    assert "orders.change_order" not in codenames(MANAGERS)
    mappings = {f"orders.{action}_skumapping" for action in ("view", "add", "change", "delete")}
    assert mappings <= codenames(OPS)  # ops manage the 商家编码对应 they meet on import
    assert mappings & codenames(MANAGERS) == {"orders.view_skumapping"}
    assert "orders.add_order" in codenames(OPS)  # 导入订单 and 粘贴下单 are the clerk's
    assert "orders.add_order" not in codenames(MANAGERS)
    for name in (OPS, MANAGERS):
        others = codenames(name) - mappings - {"orders.add_order"}
        assert not any(p.split(".")[1].startswith(("delete_", "add_")) for p in others)
        assert not any(p.startswith("auth.") for p in codenames(name))
    assert {p for p in codenames(OPS) if "carrier" in p} == {"orders.view_carrier"}  # read the formats only
    assert "inventory.change_inventoryitem" not in codenames(OPS)


def test_setup_roles_is_idempotent_and_removes_extra_permissions():
    setup_roles()
    ops = Group.objects.get(name=OPS)
    ops.permissions.add(Permission.objects.get(codename="delete_order"))
    first = codenames(OPS)
    setup_roles()
    setup_roles()
    assert Group.objects.filter(name=OPS).count() == 1
    assert "orders.delete_order" not in codenames(OPS)
    assert codenames(OPS) == first - {"orders.delete_order"}


def test_optional_permission_is_skipped_until_defined_and_required_one_must_exist():
    granted, skipped = setup_roles({"试用": ["orders.view_order", "orders.not_yet"]}, optional={"orders.not_yet"})
    assert granted == {"试用": ["orders.view_order"]}
    assert skipped == ["orders.not_yet"]
    with pytest.raises(LookupError, match=r"orders\.typo_order"):
        setup_roles({"试用": ["orders.typo_order"]}, optional=set())


def test_command_reports_groups_and_skipped(capsys):
    call_command("setup_roles")
    out = capsys.readouterr().out
    assert "运营" in out and "经理" in out and "角色已就绪" in out


def test_ops_may_edit_only_receiver_fields(ops_user, clerk):
    fields = ["order_no", "customer_id", "created_at", "note", "receiver_name", "receiver_phone", "address"]
    assert order_fields_locked_for(ops_user, fields) == ["order_no", "customer_id", "created_at", "note"]
    assert order_fields_locked_for(clerk, fields) == []
