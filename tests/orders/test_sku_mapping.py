"""商家编码对应 (issue 17): the resolver, the service's rules, the admin, the import and the map-codes view."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import MANAGERS, OPS
from inventory.models import InventoryItem
from orders import services
from orders.models import SkuMapping, SkuMappingComponent
from orders.selectors import resolve_platform_codes
from tests.factories import ItemFactory, ShopFactory
from tests.importing import csv_bytes, xlsx_bytes
from tests.role_fixtures import staff_in

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


# --- The admin ---------------------------------------------------------------------------------

ADD = reverse("admin:orders_skumapping_add")
LIST = reverse("admin:orders_skumapping_changelist")


def page_data(components, **fields):
    """The add/change page as the browser posts it: the mapping's fields and its inline rows."""
    data = {
        "components-TOTAL_FORMS": len(components),
        "components-INITIAL_FORMS": sum(1 for c in components if c.get("id")),
        "components-MIN_NUM_FORMS": 0,
        "components-MAX_NUM_FORMS": 1000,
        "_save": "保存",
        **fields,
    }
    for index, component in enumerate(components):
        data.update({f"components-{index}-{key}": value for key, value in component.items()})
    return data


def test_adding_a_bundle_on_the_admin_page_goes_through_the_service(clerk, clerk_client, shop, cup, lid):
    data = page_data(
        [{"item": cup.pk, "pieces": 1}, {"item": lid.pk, "pieces": 2}, {"item": "", "pieces": 1}],
        shop=shop.pk,
        platform_code=" GIFT-SET ",
        note="双十一套装",
    )
    response = clerk_client.post(ADD, data)
    assert response.status_code == 302
    assert stored(shop) == {"GIFT-SET": [("CUP-500", 1), ("LID-01", 2)]}
    mapping = SkuMapping.objects.get()
    assert (mapping.note, mapping.history.get().history_user) == ("双十一套装", clerk)
    html = clerk_client.get(LIST).content.decode()
    assert "CUP-500 × 1 + LID-01 × 2" in html and '<td class="field-bundle_column">是</td>' in html


def test_changing_a_mapping_replaces_its_components(clerk_client, shop, cup, lid):
    mapping = services.map_platform_code(shop, "TB-CUP", [(cup, 1)])
    component = mapping.components.get()
    change = reverse("admin:orders_skumapping_change", args=[mapping.pk])
    data = page_data(
        [
            {"id": component.pk, "mapping": mapping.pk, "item": cup.pk, "pieces": 2},
            {"item": lid.pk, "pieces": 1},
        ],
        note="",
    )
    assert clerk_client.post(change, data).status_code == 302
    assert stored(shop) == {"TB-CUP": [("CUP-500", 2), ("LID-01", 1)]}
    assert [h.history_type for h in mapping.history.order_by("pk")] == ["+", "~"]


def test_the_admin_page_shows_the_services_refusal_and_writes_nothing(clerk_client, shop, cup):
    services.map_platform_code(shop, "TB-CUP", [(cup, 1)])
    before = mapping_rows()
    data = page_data([{"item": cup.pk, "pieces": 0}], shop=shop.pk, platform_code="tb-cup")
    response = clerk_client.post(ADD, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "商家编码 tb-cup：CUP-500 的数量“0”无效，应为正整数。" in html
    assert "商家编码 tb-cup 已对应 CUP-500 × 1。" in html
    assert mapping_rows() == before


def test_the_list_filters_bundles_searches_items_and_reads_a_flat_number_of_queries(clerk_client, shop, cup, lid):
    services.map_platform_codes(shop, [("SET", [(cup, 1), (lid, 1)]), ("ONE", [(lid, 3)])])
    assert [m.platform_code for m in clerk_client.get(LIST + "?bundle=yes").context["cl"].result_list] == ["SET"]
    assert [m.platform_code for m in clerk_client.get(LIST + "?bundle=no").context["cl"].result_list] == ["ONE"]
    assert {m.platform_code for m in clerk_client.get(LIST + "?q=保温杯").context["cl"].result_list} == {"SET"}
    with CaptureQueriesContext(connection) as few:
        clerk_client.get(LIST)
    services.map_platform_codes(shop, [(f"MORE-{n}", [(cup, 1), (lid, n + 1)]) for n in range(20)])
    with CaptureQueriesContext(connection) as many:
        clerk_client.get(LIST)
    assert len(many) == len(few)


@pytest.fixture
def staff_client(client, django_user_model):
    def log_in(role):
        client.force_login(staff_in(django_user_model, role, role))
        return client

    return log_in


def test_ops_may_manage_mappings_components_included(staff_client, shop, cup, lid):
    ops = staff_client(OPS)
    assert ops.get(LIST).status_code == 200
    assert 'name="components-0-item"' in ops.get(ADD).content.decode()
    data = page_data([{"item": cup.pk, "pieces": 1}, {"item": lid.pk, "pieces": 1}], shop=shop.pk, platform_code="S")
    assert ops.post(ADD, data).status_code == 302
    mapping = SkuMapping.objects.get()
    change = ops.get(reverse("admin:orders_skumapping_change", args=[mapping.pk])).content.decode()
    assert 'name="components-1-item"' in change and 'name="components-1-DELETE"' in change
    assert ops.get(MAP_CODES + f"?shop={shop.pk}&code=X").status_code == 200


def test_managers_read_mappings_and_may_not_map_codes(staff_client, shop):
    manager = staff_client(MANAGERS)
    assert manager.get(LIST).status_code == 200
    assert manager.get(ADD).status_code == 403
    assert manager.post(MAP_CODES, {"shop": shop.pk, "rows": 0}).status_code == 403


# --- Import and export ---------------------------------------------------------------------------

IMPORT = reverse("admin:orders_skumapping_import")
CONFIRM = reverse("admin:orders_skumapping_process_import")
HEADERS = ["店铺", "商家编码", "SKU", "数量"]


def upload(client, content, name="mappings.csv"):
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(IMPORT, {"resource": "0", "format": "0", "import_file": file})


def confirm(client, preview):
    return client.post(CONFIRM, preview.context["confirm_form"].initial)


GOOD_ROWS = [
    ["淘宝旗舰店", "GIFT-SET", "CUP-500", "1"],
    ["淘宝旗舰店", "gift-set ", "lid-01", "2"],
    ["淘宝旗舰店", "TB-LID", "LID-01", ""],
]


@pytest.mark.parametrize(
    ("encode", "name"), [(lambda rows: csv_bytes(rows, "gb18030"), "a.csv"), (xlsx_bytes, "a.xlsx")]
)
def test_importing_a_mapping_file_then_the_same_file_again_changes_nothing(
    clerk, clerk_client, shop, cup, lid, encode, name
):
    content = encode([HEADERS, *GOOD_ROWS])
    preview = upload(clerk_client, content, name)
    html = preview.content.decode()
    assert "商家编码 GIFT-SET → CUP-500 × 1 + LID-01 × 2（组合装）" in html and "将新建 3 行" in html
    assert not SkuMapping.objects.exists()
    response = confirm(clerk_client, preview)
    assert response.status_code == 302
    assert stored(shop) == {"GIFT-SET": [("CUP-500", 1), ("LID-01", 2)], "TB-LID": [("LID-01", 1)]}
    assert SkuMapping.history.filter(history_user=clerk).count() == 2

    before = mapping_rows()
    again = upload(clerk_client, content, name)
    assert "无变化 3 行" in again.content.decode()
    confirm(clerk_client, again)
    assert mapping_rows() == before


def test_importing_a_changed_code_replaces_its_components(clerk_client, shop, cup, lid):
    services.map_platform_code(shop, "TB-LID", [(cup, 1)])
    preview = upload(clerk_client, csv_bytes([HEADERS, ["淘宝旗舰店", "TB-LID", "LID-01", "3"]]))
    assert "商家编码 TB-LID → LID-01 × 3（原为 CUP-500 × 1）" in preview.content.decode()
    confirm(clerk_client, preview)
    assert stored(shop) == {"TB-LID": [("LID-01", 3)]}


def test_bad_rows_are_each_named_in_chinese_and_nothing_is_imported(clerk_client, shop, cup):
    ShopFactory(name="拼多多店")
    rows = [
        ["天猫店", "A-1", "CUP-500", "1"],
        ["淘宝旗舰店", "A-2", "NO-SUCH", "1"],
        ["淘宝旗舰店", "A-3", "CUP-500", "0"],
        ["淘宝旗舰店", "", "CUP-500", "1"],
        ["", "A-4", "CUP-500", "1"],
        ["淘宝旗舰店", "A-5", "CUP-500", "1"],
        ["淘宝旗舰店", "a-5", "CUP-500", "2"],
    ]
    preview = upload(clerk_client, csv_bytes([HEADERS, *rows], "utf-8-sig"))
    problems = preview.context["result"].problem_lines
    assert problems == [
        "第 2 行：店铺“天猫店”不存在。请填写店铺名称，例如：拼多多店、淘宝旗舰店、默认店铺。",
        "第 3 行：SKU NO-SUCH 不存在，请先在库存商品中添加。",
        "第 4 行：商家编码 A-3：CUP-500 的数量“0”无效，应为正整数。",
        "第 5 行：商家编码为空。",
        "第 6 行：店铺为空。有多个店铺，请填写这个商家编码属于哪个店铺。",
        "第 7 行：商家编码 A-5：CUP-500 选了两次，同一商品请只选一次并填写总数量。",
        "第 8 行：商家编码 A-5：CUP-500 选了两次，同一商品请只选一次并填写总数量。",
    ]
    assert "确认导入" not in preview.content.decode()
    assert not SkuMapping.objects.exists()


def test_a_file_of_bad_rows_costs_the_same_queries_at_ten_and_five_hundred_rows(clerk_client, shop, cup):
    def preview_queries(count):
        name = shop.name
        # Pairs of rows: an unknown shop and SKU (two problems), then a bad quantity (one).
        pairs = [(["天猫店", f"A-{n}", "NO-SUCH", "x"], [name, f"B-{n}", "CUP-500", "x"]) for n in range(count // 2)]
        with CaptureQueriesContext(connection) as queries:
            preview = upload(clerk_client, csv_bytes([HEADERS, *(row for pair in pairs for row in pair)]))
        assert len(preview.context["result"].problem_lines) == count // 2 * 3
        return len(queries)

    assert preview_queries(500) == preview_queries(10)


def test_the_export_is_the_import_layout(clerk_client, shop, cup, lid):
    services.map_platform_codes(shop, [("SET", [(cup, 1), (lid, 2)]), ("ONE", [(lid, 3)])])
    response = clerk_client.post(LIST + "export/", {"format": "0", "resource": "0"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["店铺", "商家编码", "SKU", "数量", "产品名"]
    assert rows[1:] == [
        ["淘宝旗舰店", "ONE", "LID-01", "3", "杯盖"],
        ["淘宝旗舰店", "SET", "CUP-500", "1", "保温杯 500ml"],
        ["淘宝旗舰店", "SET", "LID-01", "2", "杯盖"],
    ]


# --- 对应商家编码 on the spot -------------------------------------------------------------------------

MAP_CODES = reverse("admin:orders_skumapping_map_codes")


def test_the_form_page_lists_the_codes_with_the_admins_autocomplete(clerk_client, shop):
    response = clerk_client.get(MAP_CODES, {"shop": shop.pk, "code": ["TB-A", "TB-B"], "next": "/admin/"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="code-0" value="TB-A"' in html and 'name="code-1" value="TB-B"' in html
    assert 'data-ajax--url="/admin/autocomplete/"' in html and 'data-model-name="skumappingcomponent"' in html
    assert "orders/js/map_codes.js" in html and "admin/js/autocomplete.js" in html and "＋ 组合装" in html


def test_the_form_page_shows_each_code_once_with_the_names_given(clerk_client, shop):
    query = {"shop": shop.pk, "code": ["TB-A", "tb-a ", "", "TB-B"], "name": ["保温杯", "", "", "杯盖"]}
    rows = clerk_client.get(MAP_CODES, query).context["map_codes_rows"]
    assert [(row.index, row.code, row.name) for row in rows] == [(0, "TB-A", "保温杯"), (1, "TB-B", "杯盖")]


def map_post(shop, rows, next_url="/admin/orders/order/"):
    data = {"shop": shop.pk, "next": next_url, "rows": len(rows)}
    for index, (code, components) in enumerate(rows):
        data[f"code-{index}"] = code
        for slot, (item, quantity) in enumerate(components):
            data[f"item-{index}-{slot}"] = item.pk if item else ""
            data[f"quantity-{index}-{slot}"] = quantity
    return data


def test_posting_the_form_maps_every_filled_code_and_returns_to_next(clerk, clerk_client, shop, cup, lid):
    rows = [("TB-A", [(cup, "2")]), ("TB-SET", [(cup, "1"), (lid, "1")]), ("TB-LATER", [(None, "1")])]
    response = clerk_client.post(MAP_CODES, map_post(shop, rows))
    assert (response.status_code, response.url) == (302, "/admin/orders/order/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "已对应 2 个商家编码",
        "另有 1 个商家编码未选择库存商品，仍未对应。",
    ]
    assert stored(shop) == {"TB-A": [("CUP-500", 2)], "TB-SET": [("CUP-500", 1), ("LID-01", 1)]}
    assert SkuMapping.history.filter(history_user=clerk).count() == 2


def test_a_refusal_shows_each_problem_by_its_row_keeps_what_was_typed_and_writes_nothing(clerk_client, shop, cup, lid):
    services.map_platform_code(shop, "TB-TAKEN", [(lid, 1)])
    before = mapping_rows()
    rows = [("TB-OK", [(cup, "1")]), ("TB-ZERO", [(cup, "0")]), ("tb-taken", [(cup, "1")])]
    response = clerk_client.post(MAP_CODES, map_post(shop, rows))
    assert response.status_code == 200
    assert [row.problems for row in response.context["map_codes_rows"]] == [
        [],
        ["商家编码 TB-ZERO：CUP-500 的数量“0”无效，应为正整数。"],
        ["商家编码 tb-taken 已对应 LID-01 × 1。如需修改，请在“商家编码对应”中编辑这一条。"],
    ]
    html = response.content.decode()
    assert f'<option value="{cup.pk}" selected>CUP-500 保温杯 500ml</option>' in html
    assert 'name="quantity-1-0" value="0"' in html and 'name="next" value="/admin/orders/order/"' in html
    assert mapping_rows() == before


def test_an_item_deleted_meanwhile_is_named_by_its_row(clerk_client, shop, cup):
    data = map_post(shop, [("TB-A", [(cup, "1")])])
    data["item-0-0"] = "999999"
    response = clerk_client.post(MAP_CODES, data)
    assert response.context["map_codes_rows"][0].problems == ["所选库存商品已不存在，请重新选择。"]
    assert not SkuMapping.objects.exists()


@pytest.mark.parametrize("next_url", ["https://evil.example/admin/", "//evil.example/", "javascript:alert(1)"])
def test_a_next_outside_this_site_is_refused(clerk_client, shop, cup, next_url):
    response = clerk_client.post(MAP_CODES, map_post(shop, [("TB-A", [(cup, "1")])], next_url))
    assert (response.status_code, response.url) == (302, LIST)
    assert stored(shop) == {"TB-A": [("CUP-500", 1)]}


def test_the_include_draws_in_another_page_with_the_files_product_names_escaped(rf, clerk, shop):
    request = rf.get("/admin/orders/order/import/")
    request.user = clerk
    context = {
        "shop": shop,
        "codes": ["TB-A", ("TB-B", "保温杯 红色"), {"code": "TB-<C>", "name": "<script>alert(1)</script>"}],
        "next": "/admin/orders/order/import/",
    }
    html = render_to_string("admin/orders/skumapping/map_codes_form.html", context, request=request)
    assert f'action="{MAP_CODES}"' in html and f'name="shop" value="{shop.pk}"' in html
    assert 'name="rows" value="3"' in html and 'name="name-1" value="保温杯 红色"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert 'name="code-2" value="TB-&lt;C&gt;"' in html
    assert "csrfmiddlewaretoken" in html and "返回，不保存" not in html  # the host page has its own way back


def test_the_history_page_tells_what_the_code_stood_for_after_each_save(clerk, clerk_client, shop, cup, lid):
    mapping = services.map_platform_code(shop, "GIFT-SET", [(cup, 1)], user=clerk)
    services.map_platform_code(shop, "GIFT-SET", [(cup, 1), (lid, 2)], replace=True, note="加杯盖", user=clerk)
    response = clerk_client.get(reverse("admin:orders_skumapping_history", args=[mapping.pk]))
    timeline = [(entry.title, entry.details) for entry in response.context["timeline"]]
    assert timeline == [
        ("修改对应", ["对应 CUP-500 × 1 + LID-01 × 2", "说明：加杯盖"]),
        ("新增对应", ["对应 CUP-500 × 1"]),
    ]
    assert (
        "对应 CUP-500 × 1 + LID-01 × 2"
        in clerk_client.get(reverse("admin:orders_skumapping_change", args=[mapping.pk])).content.decode()
    )
