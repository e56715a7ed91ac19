"""商家编码对应 (issue 17): the resolver, the service's rules, the admin, the import and the map-codes view."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import InventoryItem
from orders import services
from orders.models import SkuMapping, SkuMappingComponent
from orders.selectors import resolve_platform_codes
from tests.factories import ItemFactory, ShopFactory

pytestmark = pytest.mark.django_db


def mapping_rows():
    """Every mapping and component as stored, to compare before and after a refusal."""
    return (
        list(SkuMapping.objects.order_by("pk").values()),
        list(SkuMappingComponent.objects.order_by("pk").values()),
        list(SkuMapping.history.order_by("pk").values()),
    )


def stored(shop):
    """{code: [(sku, quantity), ...]} of `shop`'s mappings as stored."""
    found = {}
    for component in SkuMappingComponent.objects.filter(mapping__shop=shop).select_related("mapping", "item"):
        found.setdefault(component.mapping.platform_code, []).append((component.item.sku, component.quantity))
    return {code: sorted(components) for code, components in found.items()}


@pytest.fixture
def shop():
    return ShopFactory(name="淘宝旗舰店")


@pytest.fixture
def cup():
    return ItemFactory(sku="CUP-500", name="保温杯 500ml")


@pytest.fixture
def lid():
    return ItemFactory(sku="LID-01", name="杯盖")


# --- resolve_platform_codes ------------------------------------------------------------------


def test_a_mapping_wins_over_an_item_whose_sku_is_the_code(shop, cup, lid):
    ItemFactory(sku="TB-CUP")
    services.map_platform_code(shop, "TB-CUP", [(cup, 2)])
    assert resolve_platform_codes(shop, ["TB-CUP"]) == {"TB-CUP": [(cup, 2)]}


def test_a_bundle_resolves_to_all_its_components_and_a_plain_sku_to_itself(shop, cup, lid):
    services.map_platform_code(shop, "GIFT-SET", [(cup, 1), (lid, 2)])
    found = resolve_platform_codes(shop, ["GIFT-SET", "LID-01"])
    assert found == {"GIFT-SET": [(cup, 1), (lid, 2)], "LID-01": [(lid, 1)]}


def test_unknown_and_blank_codes_are_absent_and_other_shops_mappings_do_not_count(shop, cup):
    services.map_platform_code(ShopFactory(name="拼多多店"), "PDD-CUP", [(cup, 1)])
    assert resolve_platform_codes(shop, ["PDD-CUP", "NOPE", "", "  "]) == {}


def test_codes_match_in_any_case_and_without_blanks_full_width_too(shop, cup, lid):
    services.map_platform_code(shop, "tb-Cup", [(cup, 3)])
    found = resolve_platform_codes(shop, ["\u3000TB-CUP ", "tb-cup", " lid-01\u3000"])
    assert found == {"\u3000TB-CUP ": [(cup, 3)], "tb-cup": [(cup, 3)], " lid-01\u3000": [(lid, 1)]}


@pytest.mark.parametrize("count", [10, 500])
def test_resolving_takes_three_queries_whatever_the_number_of_codes(shop, count):
    items = bulk_items(count)
    services.map_platform_codes(
        shop, [(f"TB-{index}", [(item, 1), (items[-1 - index], 2)]) for index, item in enumerate(items[: count // 2])]
    )
    codes = [f"tb-{index}" for index in range(count // 2)] + [item.sku for item in items[count // 2 :]] + ["NONE"]
    with CaptureQueriesContext(connection) as queries:
        found = resolve_platform_codes(shop, codes)
    assert len(queries) == 3
    assert len(found) == count and found["tb-0"] == [(items[0], 1), (items[-1], 2)]


def bulk_items(count):
    InventoryItem.objects.bulk_create(InventoryItem(sku=f"BULK-{n:04d}", name=f"商品{n}") for n in range(count))
    return list(InventoryItem.objects.filter(sku__startswith="BULK-").order_by("sku"))


# --- map_platform_code(s) ----------------------------------------------------------------------


def test_mapping_a_code_writes_it_with_a_history_row_naming_the_user(shop, cup, lid, clerk):
    mapping = services.map_platform_code(shop, "  GIFT-SET ", [(cup, 1), (lid, "2")], user=clerk)
    assert stored(shop) == {"GIFT-SET": [("CUP-500", 1), ("LID-01", 2)]}
    assert mapping.is_bundle
    history = mapping.history.get()
    assert (history.history_type, history.history_user, history.history_change_reason) == (
        "+",
        clerk,
        "对应 CUP-500 × 1 + LID-01 × 2",
    )


def test_replacing_changes_the_components_and_the_same_ones_again_write_nothing(shop, cup, lid, clerk):
    services.map_platform_code(shop, "GIFT-SET", [(cup, 1)])
    services.map_platform_code(shop, "gift-set", [(lid, 2), (cup, 1)], replace=True, user=clerk)
    assert stored(shop) == {"GIFT-SET": [("CUP-500", 1), ("LID-01", 2)]}
    before = mapping_rows()
    services.map_platform_codes(shop, [("GIFT-SET", [(cup, 1), (lid, 2)])], replace=True)
    assert mapping_rows() == before
    assert [h.history_type for h in SkuMapping.history.order_by("pk")] == ["+", "~"]


@pytest.mark.parametrize(
    ("code", "components", "message"),
    [
        ("", "cup×1", "商家编码为空。"),
        ("X" * 101, "cup×1", f"商家编码“{'X' * 20}…”太长，最多 100 个字符。"),
        ("TB-1", "", "商家编码 TB-1：请至少选择一个库存商品。"),
        ("TB-1", "cup×0", "商家编码 TB-1：CUP-500 的数量“0”无效，应为正整数。"),
        ("TB-1", "cup×-1", "商家编码 TB-1：CUP-500 的数量“-1”无效，应为正整数。"),
        ("TB-1", "cup×1.5", "商家编码 TB-1：CUP-500 的数量“1.5”无效，应为正整数。"),
        ("TB-1", "cup×1 cup×2", "商家编码 TB-1：CUP-500 选了两次，同一商品请只选一次并填写总数量。"),
        ("TB-1", "none×1", "商家编码 TB-1：有一行没有选择库存商品。"),
        ("old", "cup×1", "商家编码 old 已对应 LID-01 × 1。如需修改，请在“商家编码对应”中编辑这一条。"),
    ],
)
def test_each_refusal_has_its_chinese_message_and_writes_nothing(shop, cup, lid, code, components, message):
    services.map_platform_code(shop, "OLD", [(lid, 1)])
    named = {"cup": cup, "none": None}
    parts = [part.split("×") for part in components.split()]
    before = mapping_rows()
    with pytest.raises(services.MappingRefused) as refused:
        services.map_platform_codes(shop, [("TB-OK", [(lid, 1)]), (code, [(named[n], q) for n, q in parts])])
    assert refused.value.messages == [message]
    assert refused.value.row_messages == {1: [message]}
    assert mapping_rows() == before


def test_a_batch_names_every_problem_and_a_code_given_twice(shop, cup):
    with pytest.raises(services.MappingRefused) as refused:
        services.map_platform_codes(shop, [("A", [(cup, 1)]), ("a ", [(cup, 1)]), ("B", [(cup, 0)])])
    assert refused.value.row_messages == {
        1: ["商家编码 a 填写了两次，每个商家编码只能对应一次（组合装请在同一行添加商品）。"],
        2: ["商家编码 B：CUP-500 的数量“0”无效，应为正整数。"],
    }
    assert not SkuMapping.objects.exists()


def test_deleting_leaves_a_history_row(shop, cup, clerk):
    mapping = services.map_platform_code(shop, "TB-1", [(cup, 1)])
    services.unmap_platform_codes([mapping], user=clerk)
    assert not SkuMapping.objects.exists() and not SkuMappingComponent.objects.exists()
    assert SkuMapping.history.latest().history_type == "-" and SkuMapping.history.latest().history_user == clerk
