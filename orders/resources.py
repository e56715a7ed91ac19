"""django-import-export resources for orders: the order export, the imports of tracking numbers
from the couriers and of new orders from the shop platform, and the 商家编码对应 import and export.

Both imports are all or nothing (see spreadsheets.resources.AllOrNothingImport): the preview lists
what each row will do and every problem, and a file with any problem changes nothing.
"""

from dataclasses import dataclass, field
from types import SimpleNamespace

import tablib
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from import_export import fields, resources

from inventory.validators import MAX_QUANTITY
from orders import selectors, services
from orders.addresses import split_region
from orders.carriers import CarrierDirectory, guess_carriers, normalize_tracking_number
from orders.models import (
    Order,
    OrderHold,
    OrderLine,
    Parcel,
    ParcelLine,
    Shop,
    SkuMapping,
    SkuMappingComponent,
    receiver_key,
)
from orders.platforms.rows import FILE_PROBLEM, read_upload
from orders.platforms.statuses import PlatformState, platform_state
from orders.reports import exports
from orders.reports.replica import read_with_fallback, report_source
from orders.selectors import (
    ambiguous_number_message,
    components_text,
    items_by_sku,
    only_shop,
    order_no_key,
    orders_by_number,
    platform_code_key,
    sku_mappings_by_code,
)
from spreadsheets.formats import ImportFileError, cell_text
from spreadsheets.resources import AllOrNothingImport, date_time, labelled_messages, text_column, whole_number


class OrderExportResource(resources.ModelResource):
    """导出订单: a row per order line (orders.reports.exports), Chinese headers.

    Rows are read as plain values in chunks, so a large export builds no model instances; the
    admin's writers (spreadsheets.writing) escape formulae and keep identifiers as text.
    """

    class Meta:
        model = Order
        fields = ()

    def __init__(self, full_receiver=False, **kwargs):
        # Full phone and address only for users with orders.export_full_receiver (OrderAdmin passes it).
        super().__init__(**kwargs)
        self.full_receiver = full_receiver

    def get_user_visible_fields(self):
        # Listed on the export page ("此次将导出以下字段").
        return [fields.Field(column_name=header) for header in exports.EXPORT_HEADERS]

    def get_export_headers(self, selected_fields=None):
        return list(exports.EXPORT_HEADERS)

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = self.get_queryset()

        def read(alias):
            dataset = tablib.Dataset(headers=self.get_export_headers())
            for row in exports.order_export_rows(queryset.using(alias), full_receiver=self.full_receiver):
                dataset.append(row)
            return dataset

        # A report read: on the read replica when one is configured and current (orders.reports.replica).
        dataset, _source = read_with_fallback(report_source(), read)
        return dataset


STATUS = Order.Status
REFUND = OrderHold.Reason.REFUND


# --- Order numbers (issue 15 point 11) --------------------------------------------------------
# One rule on every path and both databases: blanks around an order number (full-width ones too)
# are dropped, and order numbers that differ only in case are the same order. MariaDB's _ci
# collation already compares them so; SQLite compares exactly, so there the look-up uses UPPER().


def orders_by_order_no(order_nos, *, shop=None):
    """{order_no_key: Order} for the numbers that name one order (in `shop`, or in the only shop that has it)."""
    return {key: found[0] for key, found in orders_by_number(order_nos, shop=shop).items() if len(found) == 1}


# --- 导入快递单号 ----------------------------------------------------------------------------------


@dataclass
class TrackingRow:
    """What one row of a tracking file will do: ship `shipment`, be skipped, or stop the file."""

    line: int
    order: Order | None = None
    key: tuple | None = None  # (carrier pk, number) once the cells name both
    shipment: services.Shipment | None = None
    problems: list = field(default_factory=list)
    plan: str = ""
    skip: bool = False


class TrackingImportResource(AllOrNothingImport, resources.ModelResource):
    """导入快递单号: one row per order (订单号, 快递公司, 快递单号), or one row per order of a parcel.

    The whole file is planned before its first row is reported: the cells are read here (which
    order, which carrier), and every shipping rule is services.check_shipments', called once for
    all rows. Confirmed rows are shipped by services.ship_orders, 1,000 at a time (Meta.use_bulk),
    in the import's one transaction: a problem anywhere changes nothing.
    """

    order_no = text_column("order_no", "订单号")
    carrier = text_column(None, "快递公司")
    tracking_number = text_column(None, "快递单号")

    def __init__(self, *, shop=None, **kwargs):
        super().__init__(**kwargs)
        self.shop = shop  # None: look the numbers up in every shop

    column_aliases = {"物流公司": "快递公司", "快递": "快递公司", "运单号": "快递单号", "物流单号": "快递单号"}
    outcome_labels = {"update": ("将发货", "已发货"), "skip": ("跳过", "已跳过")}
    allows_partial = True
    partial_label = "只发货没有问题的 {count} 行"
    left_label = ("有问题，不发货", "有问题，未发货")

    class Meta:
        model = Order
        name = "导入快递单号"
        fields = ("order_no", "carrier", "tracking_number")
        import_id_fields = ("order_no",)
        skip_diff = True
        use_transactions = True
        # Checked rows are shipped by write_rows(), 1,000 at a time.
        use_bulk = True
        batch_size = 1000

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)  # refuses a file without the three columns
        cells = zip(dataset["订单号"], dataset["快递公司"], dataset["快递单号"], strict=True)
        cells = [(cell_text(o), cell_text(c), normalize_tracking_number(cell_text(n))) for o, c, n in cells]
        # In the shop chosen on the import page, else in every shop (a number of two shops is refused).
        found = orders_by_number((order_no for order_no, _c, _n in cells), shop=self.shop)
        self.orders = {key: orders[0] for key, orders in found.items() if len(orders) == 1}
        self.ambiguous = {key: orders for key, orders in found.items() if len(orders) > 1}
        self.rows = self.plan_rows(cells)
        self.good_lines = [row.line for row in self.rows if row.shipment is not None and not row.problems]
        if self.expected_lines is not None:
            self.refuse_partial = self.note_changes_since_preview(set(self.expected_lines))
        self.shipments = {row.order.pk: row.shipment for row in self.rows if row.shipment is not None}
        self.shipped_orders, self.shipped_parcels = [], []

    def note_changes_since_preview(self, expected):
        """只发货没有问题的行: True (and the changed rows say why) when the rows that would ship
        are not those the preview offered, so the file ships none of them rather than fewer."""
        changed = False
        for row in self.rows:
            ships = row.shipment is not None and not row.problems
            if row.line in expected and not ships:
                changed = True
                if not row.problems:
                    row.problems.append(f"预览时本行可以发货，现在：{row.plan or '不再需要发货'}。")
            elif row.line not in expected and ships:
                changed = True
                row.problems.append("预览时本行有问题，现在可以发货了。请重新上传文件预览，确认要发的行。")
        return changed

    def get_instance(self, instance_loader, row):
        return self.orders.get(order_no_key(cell_text(row.get("订单号"))))

    def plan_rows(self, cells):
        """A TrackingRow per row of the file; the shipping rules come from one check_shipments call."""
        carriers = CarrierDirectory()
        remaining = selectors.remaining_lines(self.orders.values())
        live = live_parcels_by_order(self.orders.values())
        rows, first_row = [], {}  # first_row: order pk -> the row that ships it
        for line, (order_no, carrier_text, number) in zip(self.lines, cells, strict=True):
            row = TrackingRow(line)
            rows.append(row)
            row.order = order = self.orders.get(order_no_key(order_no)) if order_no else None
            if order is not None and not carrier_text and not number:
                # An exported order list comes back with the rows the clerk had no number for yet.
                row.skip, row.plan = True, "未填写快递公司和快递单号，跳过"
                continue
            carrier = carriers.find(carrier_text) if carrier_text else None
            row.problems = self.cell_problems(order_no, order, carrier_text, carrier, number, carriers)
            if order_no and order_no_key(order_no) in self.ambiguous:
                row.problems[-1:] = [ambiguous_number_message(order_no, self.ambiguous[order_no_key(order_no)])]
            if row.problems:
                continue
            row.key = (carrier.pk, number)
            # Re-importing a file is harmless: a row whose parcel exists (whole or the first part of a split) is done.
            if row.key in live[order.pk]:
                row.skip, row.plan = True, f"已用同一单号发货（{carrier.name} {number}），无需处理"
                continue
            earlier = rows[first_row[order.pk]] if order.pk in first_row else None
            if earlier is not None:
                if earlier.key == row.key:
                    row.skip = True
                    row.plan = f"与第 {earlier.line} 行重复（同一订单、同一单号），按一个包裹发货"
                else:
                    problem = (
                        f"订单 {order.order_no} 在文件中有不同的快递单号（第 {earlier.line}、{line} 行）。"
                        "一个订单在一个文件中只能对应一个快递单号；分几个包裹发货请在订单页面操作。"
                    )
                    row.problems.append(problem)
                    if problem not in earlier.problems:
                        earlier.problems.append(problem)
                continue
            first_row[order.pk] = len(rows) - 1
            if order.status == STATUS.SHIPPED:
                shipped_with = "、".join(f"{name} {n}" for name, n in live[order.pk].values())
                row.problems.append(
                    f"订单 {order.order_no} 已发货（{shipped_with}），与文件中的不同。"
                    "如需更正，请先在订单列表撤销发货。"
                )
                continue
            row.shipment = services.Shipment(carrier, number, remaining[order.pk], orders=[order])

        planned = [row for row in rows if row.shipment is not None and not row.problems]
        review = services.check_shipments([row.shipment for row in planned])
        numbers = {}  # (carrier pk, number) -> order numbers of the rows above that ship with it
        for row, problems, join in zip(planned, review.problems, review.joins, strict=True):
            row.problems.extend(problems)
            if not row.problems:
                row.plan = self.shipment_plan(row.shipment, join, numbers.setdefault(row.shipment.key, []))
                numbers[row.shipment.key].append(row.order.order_no)
        return rows

    @staticmethod
    def cell_problems(order_no, order, carrier_text, carrier, number, carriers):
        """What is wrong with the row's cells themselves: an order or carrier they do not name."""
        problems = []
        if not carrier_text:
            guesses = guess_carriers(number, carriers.carriers) if number else []
            # The file names the carrier: a number's format only says which ones to write.
            problems.append(
                f"快递公司为空（按单号可能是：{'、'.join(c.name for c in guesses)}）。" if guesses else "快递公司为空。"
            )
        elif carrier is None:
            problems.append(f"不认识快递公司“{carrier_text}”。可填写名称或代码，例如：{carriers.names()}。")
        elif not carrier.is_active:
            problems.append(f"快递公司“{carrier.name}”已停用。")
        if not number:
            problems.append("快递单号为空。")
        if not order_no:
            problems.append("订单号为空。")
        elif order is None:
            problems.append(f"订单 {order_no} 不存在。")
        return problems

    @staticmethod
    def shipment_plan(shipment, join, merged_with):
        lines = "、".join(f"{line.item.sku}（{line.item.name}）出库 {units} 件" for line, units in shipment.lines)
        plan = f"{shipment.carrier.name} {shipment.tracking_number}；{lines}"
        merged_with = [*(join.order_nos if join is not None else []), *merged_with]
        if merged_with:
            plan += f"；与订单 {'、'.join(merged_with)} 合并发货（同一收货人）"
        return plan

    def import_instance(self, instance, row, **kwargs):
        planned = self.rows[kwargs["row_number"] - 1]
        self.row_plan, self.row_skip = planned.plan, planned.skip
        if planned.problems and not self.leave_row(planned.problems):
            raise ValidationError(planned.problems)

    def write_rows(self, orders):
        batch = [
            (order, self.shipments[order.pk].carrier, self.shipments[order.pk].tracking_number) for order in orders
        ]
        try:
            parcels = services.ship_orders(batch, user=self.user)
        except (ValidationError, services.InsufficientStock) as exc:
            raise ValidationError(services.error_messages(exc)) from exc
        self.shipped_orders.extend(orders)
        self.shipped_parcels.extend(parcels)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        result.shipped = (self.shipped_orders, self.shipped_parcels)  # for the confirm's message


def live_parcels_by_order(orders):
    """{order pk: {(carrier pk, number): (carrier name, number)}} of the orders' live parcels, one query."""
    found = {order.pk: {} for order in orders}
    rows = (
        ParcelLine.objects.filter(line__order_id__in=found, parcel__status__in=Parcel.LIVE)
        .values_list("line__order_id", "parcel__carrier_id", "parcel__carrier__name", "parcel__tracking_number")
        .distinct()
        .order_by()
    )
    for order_pk, carrier_pk, carrier_name, number in rows:
        found[order_pk][(carrier_pk, number)] = (carrier_name, number)
    return found


# --- 导入订单 -------------------------------------------------------------------------------------


class OrderImportResource(AllOrNothingImport, resources.ModelResource):
    """导入订单: new pending orders from our own layout or a platform's export, one row per order line.

    A platform's file (or its order file and item file together) is first normalised into our
    columns by orders.platforms; from there one planner decides every row, whatever the source.
    Rows with one order number (any case, blanks ignored: see order_no_key) are the lines of one
    order and must agree on its receiver. SKU / 商家编码 cells are resolved to stock by
    selectors.resolve_platform_codes (a 组合装 gives a line per component). Existing order
    numbers are skipped, never overwritten; an existing open order the platform now shows
    refunded or closed is flagged and, on confirm, held (退款中) by services.hold_order. Rows the
    platform shows unpaid, closed or shipped are skipped with the reason. The orders are planned
    in before_import and added by services.create_orders in bulk.
    """

    order_no = text_column("order_no", "订单号")
    customer_id = text_column("customer_id", "用户ID")
    sku = text_column(None, "SKU")
    quantity = text_column(None, "数量")
    receiver_name = text_column("receiver_name", "收货人")
    receiver_phone = text_column("receiver_phone", "电话")
    address = text_column("address", "地址")
    # Optional columns, read in before_import: 子订单号 (or 子订单编号), 下单时间, 备注,
    # 承诺发货时间 (else the shop's default), 省/市/区, 平台状态 and 售后状态 (as a platform writes
    # them), 平台加密 (是: the platform hid the receiver).
    OPTIONAL_COLUMNS = ("子订单号", "下单时间", "备注", "承诺发货时间", "省", "市", "区")
    ROW_VALUES = {
        "sub_order_no": "子订单号",
        "created_at": "下单时间",
        "note": "备注",
        "ship_by": "承诺发货时间",
        "province": "省",
        "city": "市",
        "district": "区",
        "product": "商品名称",
        "status": "平台状态",
        "after_sales": "售后状态",
        "encrypted": "平台加密",
        "file_problem": FILE_PROBLEM,
    }

    admin_permission = "add"

    def __init__(self, *, shop=None, platform="", **kwargs):
        super().__init__(**kwargs)
        self.chosen_shop = shop  # the page's choice; else the platform's one shop, else the only shop
        self.platform = platform  # "" recognises the file by its headers (orders.platforms)
        self.shop = shop or only_shop()

    column_aliases = {
        "sku": "SKU",
        "商品编码": "SKU",
        "商家编码": "SKU",
        "用户id": "用户ID",
        "买家ID": "用户ID",
        "收货人电话": "电话",
        "手机": "电话",
        "收货地址": "地址",
        "子订单编号": "子订单号",
        "下单日期": "下单时间",
        "创建时间": "下单时间",
        "订单创建时间": "下单时间",
        "买家备注": "备注",
        "订单备注": "备注",
        "区/县": "区",
    }
    outcome_labels = {"new": ("将新建", "已新建"), "skip": ("跳过", "已跳过")}
    allows_partial = True  # by whole orders: a row with a problem leaves its order's other rows out too
    # New orders are planned whole (numbers, items, lines); what can still fail at the write is a number
    # another clerk took after the preview, and confirm says so (write_rows). No write in the preview.
    writes_in_preview = False
    accepts_several_files = True  # a platform's order file and item file

    ORDER_FIELDS = ("order_no", "customer_id", "receiver_name", "receiver_phone", "address")
    RECEIVER_FIELDS = ("receiver_name", "receiver_phone", "address")
    SKIPPED = {
        PlatformState.NOT_PAID: "平台显示“{}”（未付款），不导入",
        PlatformState.CLOSED: "平台显示“{}”（交易关闭），不导入",
        PlatformState.SHIPPED: "平台显示“{}”（已发货），不导入",
        PlatformState.AFTER_SALES: "平台显示售后“{}”，本行不导入（请在平台处理售后）",
    }
    REFUND_STATES = (PlatformState.CLOSED, PlatformState.AFTER_SALES)

    class Meta:
        model = Order
        name = "导入订单"
        fields = ("order_no", "customer_id", "sku", "quantity", "receiver_name", "receiver_phone", "address")
        import_id_fields = ("order_no",)
        skip_diff = True
        use_transactions = True
        # Planned orders are added by write_rows(), 1,000 orders at a time.
        use_bulk = True
        batch_size = 1000

    def get_user_visible_fields(self):
        # The column list on the import page names the optional columns too.
        optional = [fields.Field(column_name=f"{column}（可选）") for column in self.OPTIONAL_COLUMNS]
        return [*super().get_user_visible_fields(), *optional]

    def before_import(self, dataset, **kwargs):
        self.upload = None
        self.flagged, self.unknown_codes, self.already_here = {}, {}, {}
        name = kwargs.get("file_name") or ""
        files = [(file_name or name, data) for file_name, data in getattr(dataset, "files", None) or [("", dataset)]]
        try:
            self.upload = read_upload(files, self.platform)
            self.shop = self.shop_for(self.upload)
        except ImportFileError:
            dataset.wipe()
            raise
        if self.upload.layouts:  # a platform's file: from here on, its rows in our columns
            dataset.wipe()
            dataset.headers = self.upload.dataset.headers
            dataset.extend(self.upload.dataset)
            dataset.line_numbers = self.upload.dataset.line_numbers
        super().before_import(dataset, **kwargs)  # refuses a file without the required columns
        if self.shop is None:
            dataset.wipe()
            raise ImportFileError("有多个店铺，请先选择这些订单属于哪个店铺。")
        rows = []
        for cells in dataset:
            row = dict(zip(dataset.headers, cells, strict=True))
            values = {name: self.fields[name].clean(row) for name in self._meta.fields}
            values.update({name: cell_text(row.get(column)) for name, column in self.ROW_VALUES.items()})
            values["state"], values["state_words"] = platform_state(values["status"], values["after_sales"])
            rows.append(values)
        self.existing = orders_by_order_no((row["order_no"] for row in rows), shop=self.shop)
        refunds = {self.existing[key].pk for key in self.refund_keys(rows) if key in self.existing}
        self.refund_held = {
            pk for pk, holds in services.active_holds(refunds).items() if any(h.reason == REFUND for h in holds)
        }
        self.components = selectors.resolve_platform_codes(self.shop, {row["sku"] for row in rows if row["sku"]})
        self.drafts = {}  # order_no_key -> (Order, [OrderLine, ...], line of its first row)
        self.order_times = {}  # order_no_key -> the 下单时间 its rows give (None: none yet)
        self.plans = [self.plan_row(line, values) for line, values in zip(self.lines, rows, strict=True)]
        self.queued = set()
        self.plan_whole_orders([order_no_key(row["order_no"]) for row in rows])

    def shop_for(self, upload):
        """The new orders' shop: the page's choice (of the file's platform), else that platform's one shop."""
        if not upload.platform:
            return self.shop
        platform = Shop.Platform(upload.platform)
        if self.chosen_shop is not None:
            if self.chosen_shop.platform not in (upload.platform, Shop.Platform.OTHER):
                raise ImportFileError(
                    f"文件是{upload.label}，所选店铺“{self.chosen_shop.name}”是"
                    f"{self.chosen_shop.get_platform_display()}店铺。请选择{platform.label}的店铺。"
                )
            return self.chosen_shop
        shops = list(Shop.objects.filter(is_active=True, platform=upload.platform)[:2])
        if len(shops) == 1:
            return shops[0]
        if shops:
            raise ImportFileError(f"文件是{upload.label}，有多个{platform.label}店铺，请选择这些订单属于哪个店铺。")
        if self.shop is not None and self.shop.platform == Shop.Platform.OTHER:
            return self.shop  # the one shop there is, not tied to a platform
        raise ImportFileError(f"文件是{upload.label}，还没有{platform.label}店铺。请先在“店铺”中添加，再导入。")

    def refund_keys(self, rows):
        return {order_no_key(row["order_no"]) for row in rows if row["state"] in self.REFUND_STATES}

    def plan_whole_orders(self, keys):
        """The rows 只导入没有问题的行 would write: those of orders none of whose rows has a problem.

        In that mode the other rows of such an order are left out too, saying why; and when the rows
        are not those the preview offered (`expected_lines`), the file is refused as a whole."""
        bad = {}  # order key -> the lines with problems
        for line, key, (_order, _plan, problems, _skip) in zip(self.lines, keys, self.plans, strict=True):
            if problems and key:
                bad.setdefault(key, []).append(line)
        rows = list(zip(self.lines, keys, self.plans, strict=True))
        self.good_lines = [line for line, key, (_o, _p, problems, skip) in rows if not (problems or skip or key in bad)]
        if not self.only_good:
            return
        for _line, key, (order, _plan, problems, _skip) in rows:
            if key in bad and not problems:
                where = "、".join(map(str, bad[key]))
                problems.append(
                    f"订单 {order.order_no} 的第 {where} 行有问题，整单不导入（一个订单的商品要一起导入）。"
                )
        if self.expected_lines is not None and set(self.good_lines) != set(self.expected_lines):
            self.refuse_partial = True
            for line, _key, (_order, plan, problems, _skip) in rows:
                if line in self.expected_lines and line not in self.good_lines and not problems:
                    problems.append(f"预览时本行可以导入，现在：{plan or '不再需要导入'}。")
                elif line in self.good_lines and line not in self.expected_lines:
                    problems.append("预览时本行有问题，现在可以导入了。请重新上传文件预览，确认要导入的行。")

    def plan_existing(self, order, values):
        """An order already here is never changed; one the platform now shows refunded is flagged."""
        self.already_here[order.pk] = order
        if values["state"] in self.REFUND_STATES and order.is_open:
            if order.pk in self.refund_held:
                return None, f"订单 {order.order_no} 已存在，已因退款挂起，跳过", [], True
            self.flagged.setdefault(order.pk, (order, values["state_words"]))
            return (
                None,
                f"订单 {order.order_no} 已存在，平台显示“{values['state_words']}”：确认后挂起（退款中），订单内容不变",
                [],
                True,
            )
        return None, f"订单 {order.order_no} 已存在，跳过（不会覆盖）", [], True

    def plan_row(self, line, values):
        """(order to create or None, plan text, problems, skip) for one row; the order collects its lines."""
        order_no = values["order_no"]
        if not order_no:
            return None, "", ["订单号为空。"], False
        key = order_no_key(order_no)
        if key in self.existing:
            return self.plan_existing(self.existing[key], values)
        if values["state"] != PlatformState.TO_SHIP:
            return None, self.SKIPPED[values["state"]].format(values["state_words"]), [], True

        problems = [values["file_problem"]] if values["file_problem"] else []
        code = values["sku"]
        components = self.components.get(code)
        if not code:
            problems.append("SKU 为空。")
        elif components is None:
            self.unknown_codes.setdefault(code, {"lines": [], "names": []})
            known = self.unknown_codes[code]
            known["lines"].append(line)
            if values["product"] and values["product"] not in known["names"]:
                known["names"].append(values["product"])
            problems.append(
                f"SKU（商家编码）{code} 没有对应的库存商品："
                "请在本页“没有对应库存商品的商家编码”中处理，或先在库存商品中添加。"
            )
        try:
            quantity = whole_number(values["quantity"], "数量", minimum=1, maximum=MAX_QUANTITY)
        except ValidationError as exc:
            problems.extend(exc.messages)
            quantity = None
        for name in self.RECEIVER_FIELDS:
            if not values[name]:
                problems.append(f"{self.fields[name].column_name}为空。")
        created_at = None
        if values["created_at"]:
            try:
                created_at = date_time(values["created_at"], "下单时间")
            except ValidationError as exc:
                problems.extend(exc.messages)

        ship_by = None
        if values["ship_by"]:
            try:
                ship_by = date_time(values["ship_by"], "承诺发货时间", future=True)
            except ValidationError as exc:
                problems.extend(exc.messages)
        draft = self.drafts.get(key)
        if draft is None:
            order = Order(
                **{name: values[name] for name in self.ORDER_FIELDS},
                shop=self.shop,
                **self.region(values),
                receiver_encrypted=values["encrypted"] in ("是", "1", "true", "True"),
                ship_by=ship_by,  # None: services.create_orders gives the shop's default
                status=STATUS.PENDING,
            )
            if created_at is not None:
                order.created_at = created_at  # else now, as for an order added by hand
            order.note = values["note"]
            draft = self.drafts[key] = (order, [], line)
            self.order_times[key] = created_at
        order, lines, first_line = draft
        if line != first_line:
            given = self.order_times.setdefault(key, created_at) or created_at
            if created_at is not None and created_at != given:
                problems.append(
                    f"订单 {order.order_no} 的下单时间与第 {first_line} 行不同。同一订单的各行下单时间必须一致。"
                )
            elif created_at is not None:
                order.created_at = self.order_times[key] = created_at  # the order's first row left it blank
            if values["note"] and values["note"] not in order.note:
                order.note = "；".join(filter(None, [order.note, values["note"]]))  # each line's remark kept once
        this_row = SimpleNamespace(**{name: values[name] for name in self.RECEIVER_FIELDS})
        if line != first_line and receiver_key(order) != receiver_key(this_row):
            problems.append(
                f"订单 {order.order_no} 的收货人、电话或地址与第 {first_line} 行不同。同一订单的各行收货信息必须一致。"
            )
        if problems:
            return order, "", problems, False

        # A 组合装 is a line per component: quantity × the component's pieces, each keeping the code.
        new_lines = [
            OrderLine(item=item, quantity=quantity * per, sub_order_no=values["sub_order_no"], platform_code=code)
            for item, per in components
        ]
        lines.extend(new_lines)
        problems.extend(model_problems(order, exclude=["status", "shop"]) if line == first_line else [])
        for order_line in new_lines:
            if order_line.quantity > MAX_QUANTITY:
                problems.append(f"数量“{values['quantity']}”太大：组合装 {code} 合计超过 {MAX_QUANTITY} 件。")
            problems.extend(model_problems(order_line, exclude=["order", "item"]))
        sub_order = f"（子订单 {values['sub_order_no']}）" if values["sub_order_no"] else ""
        goods = "、".join(f"{ol.item.sku}（{ol.item.name}）× {ol.quantity}" for ol in new_lines)
        if len(new_lines) > 1 or (new_lines and new_lines[0].item.sku != code):
            goods = f"{code} = {goods}"
        plan = f"{goods}{sub_order}"
        if line == first_line:
            when = f"，下单时间 {timezone.localtime(created_at):%Y-%m-%d %H:%M}" if created_at else ""
            hidden = "（平台加密）" if order.receiver_encrypted else ""
            plan = f"待发货订单，收货人 {order.receiver_name}{hidden}{when}：{plan}"
        else:
            plan = f"订单 {order.order_no} 的另一件商品（同第 {first_line} 行）：{plan}"
        return order, plan, problems, False

    @staticmethod
    def region(values):
        """省/市/区 as the file gives them; split from the address line when it gives none (淘宝, 京东,
        our own layout). A hidden receiver's address is not split: what is there is the platform's."""
        given = {name: values[name] for name in ("province", "city", "district")}
        if any(given.values()) or values["encrypted"] in ("是", "1", "true", "True") or not values["address"]:
            return given
        province, city, district, _street = split_region(values["address"])
        return {"province": province, "city": city, "district": district}

    def get_instance(self, instance_loader, row):
        return None  # every row is planned in before_import; existing orders are skipped there

    def import_instance(self, instance, row, **kwargs):
        order, self.row_plan, problems, self.row_skip = self.plans[kwargs["row_number"] - 1]
        if problems and not self.leave_row(problems):
            raise ValidationError(problems)
        self.row_order = order

    def save_instance(self, instance, is_create, row, **kwargs):
        # Each order is handed to write_rows once, with all its lines, whichever of its rows comes first.
        if id(self.row_order) not in self.queued:
            self.queued.add(id(self.row_order))
            super().save_instance(self.row_order, is_create, row, **kwargs)

    def write_rows(self, orders):
        drafts = {id(order): lines for order, lines, _line in self.drafts.values()}
        try:
            services.create_orders([(order, drafts[id(order)]) for order in orders], user=self.user)
        except IntegrityError as exc:
            raise ValidationError("文件中有订单号在预览之后已被其他人导入或添加。请重新上传文件预览。") from exc

    def after_import(self, dataset, result, **kwargs):
        if self.flagged and not (result.has_errors() or result.has_validation_errors()):
            self.hold_refunded(result)
        super().after_import(dataset, result, **kwargs)
        result.upload_label = self.upload.label if self.upload else ""
        result.shop = self.shop
        result.unknown_codes = sorted(self.unknown_codes.items())
        result.unknown_code_list = [code for code, _found in result.unknown_codes]
        result.flagged = [(order, words) for order, words in self.flagged.values()]
        new = {key for key, (_order, lines, _line) in self.drafts.items() if lines}
        # The same file again: every order it names is here already (and listed).
        result.already_here = sorted(o.order_no for o in self.already_here.values()) if not new else []

    def hold_refunded(self, result):
        """退款中: the preview's flagged orders held through the one door (the preview's are rolled back)."""
        for order, words in self.flagged.values():
            try:
                services.hold_order(order, REFUND, note=f"平台显示：{words}"[:200], user=self.user)
            except ValidationError as exc:  # shipped or held since the preview: the file changes nothing
                for message in exc.messages:
                    self.handle_import_error(result, ImportFileError(message))


def model_problems(instance, exclude):
    """Lengths and the like of one model row, labelled with the field's Chinese name."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return labelled_messages(exc, type(instance))
    return []


# --- 商家编码对应 -----------------------------------------------------------------------------------
# One layout for both directions: 店铺, 商家编码, SKU, 数量, a row per item; several rows with one
# code are a 组合装. The export adds 产品名, which the import ignores.

MAPPING_HEADERS = ["店铺", "商家编码", "SKU", "数量", "产品名"]


class SkuMappingExportResource(resources.ModelResource):
    """导出商家编码对应: a row per component, in the import's layout (one query)."""

    class Meta:
        model = SkuMapping
        fields = ()

    def get_user_visible_fields(self):
        return [fields.Field(column_name=header) for header in MAPPING_HEADERS]

    def get_export_headers(self, selected_fields=None):
        return list(MAPPING_HEADERS)

    def export(self, queryset=None, **kwargs):
        queryset = self.get_queryset() if queryset is None else queryset
        components = (
            SkuMappingComponent.objects.filter(mapping__in=queryset.order_by().values("pk"))
            .select_related("mapping__shop", "item")
            .order_by("mapping__shop__name", "mapping__platform_code", "pk")
        )
        dataset = tablib.Dataset(headers=self.get_export_headers())
        for c in components:
            dataset.append([c.mapping.shop.name, c.mapping.platform_code, c.item.sku, c.quantity, c.item.name])
        return dataset


@dataclass
class MappingDraft:
    """One code of a mapping file: its rows, its components, and the mapping it replaces if any."""

    shop: Shop
    code: str
    first_line: int
    components: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    broken: bool = False  # a row of it has a problem of its own
    existing: SkuMapping | None = None
    mapping: SkuMapping | None = None  # what the import hands to write_rows: the existing one, or a new one
    unchanged: bool = False


class SkuMappingImportResource(AllOrNothingImport, resources.ModelResource):
    """导入商家编码对应: 店铺, 商家编码, SKU, 数量 (optional, 1 when blank); a row per item of a code.

    The rows of one code (any case, blanks ignored) are its components: a 组合装 when several.
    A code already mapped to other items is changed to the file's; to the same ones, left as it
    is, so importing a file twice changes nothing. The rules are services.check_platform_codes',
    and services.map_platform_codes writes, one call per shop a batch.
    """

    shop = text_column(None, "店铺")
    platform_code = text_column("platform_code", "商家编码")
    sku = text_column(None, "SKU")
    OPTIONAL_COLUMNS = ("数量",)

    admin_permission = "add"
    column_aliases = {
        "店铺名称": "店铺",
        "sku": "SKU",
        "库存SKU": "SKU",
        "商家SKU": "商家编码",
        "平台商家编码": "商家编码",
        "SKU编码": "商家编码",
        "件数": "数量",
    }
    outcome_labels = {"new": ("将新建", "已新建"), "update": ("将修改", "已修改"), "skip": ("无变化", "无变化")}

    class Meta:
        model = SkuMapping
        name = "导入商家编码对应"
        fields = ("shop", "platform_code", "sku")
        import_id_fields = ("platform_code",)
        skip_diff = True
        use_transactions = True
        # Planned codes are written by write_rows(), 1,000 codes at a time.
        use_bulk = True
        batch_size = 1000

    def get_user_visible_fields(self):
        return [*super().get_user_visible_fields(), fields.Field(column_name="数量（可选，默认 1）")]

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)  # refuses a file without the required columns
        quantities = dataset["数量"] if "数量" in dataset.headers else [""] * len(dataset)
        cells = zip(dataset["店铺"], dataset["商家编码"], dataset["SKU"], quantities, strict=True)
        rows = [tuple(cell_text(cell) for cell in row) for row in cells]
        self.shops = {shop.name: shop for shop in Shop.objects.filter(name__in={row[0] for row in rows if row[0]})}
        self.fallback_shop = only_shop()
        items = items_by_sku(row[2] for row in rows)
        self.drafts = {}  # (shop pk, code key) -> MappingDraft
        self.plans = [self.plan_row(line, row, items) for line, row in zip(self.lines, rows, strict=True)]
        by_shop = {}  # a code with a bad row is checked too, if a row named an item: every problem at once
        for draft in self.drafts.values():
            if draft.components or not draft.broken:
                by_shop.setdefault(draft.shop, []).append(draft)
        for shop, drafts in by_shop.items():
            self.plan_shop(shop, drafts)
        self.queued = set()

    def plan_row(self, line, row, items):
        """(MappingDraft or None, problems) for one row; the draft collects the row's item."""
        shop_text, code, sku, quantity = row
        problems = []
        shop = self.shops.get(shop_text) if shop_text else self.fallback_shop
        if shop is None and shop_text:
            problems.append(f"店铺“{shop_text}”不存在。请填写店铺名称，例如：{self.shop_names()}。")
        elif shop is None:
            problems.append("店铺为空。有多个店铺，请填写这个商家编码属于哪个店铺。")
        if not code:
            problems.append(services.EMPTY_CODE)
        item = items.get(platform_code_key(sku)) if sku else None
        if not sku:
            problems.append("SKU 为空。")
        elif item is None:
            problems.append(f"SKU {sku} 不存在，请先在库存商品中添加。")
        if shop is None or not code:
            return None, problems
        draft = self.drafts.setdefault((shop.pk, platform_code_key(code)), MappingDraft(shop, code, line))
        if item is not None:
            draft.components.append((item, quantity or "1"))
        draft.broken = draft.broken or bool(problems)
        return draft, problems

    def shop_names(self):
        """A few shops' names for the message about one the file misspells (read once a file)."""
        if not hasattr(self, "_shop_names"):
            self._shop_names = "、".join(Shop.objects.order_by("name").values_list("name", flat=True)[:5])
        return self._shop_names

    def plan_shop(self, shop, drafts):
        """The service's rules for one shop's codes, and what each will do (new, changed, unchanged)."""
        existing = sku_mappings_by_code(shop, [draft.code for draft in drafts])
        pairs = [(draft.code, draft.components) for draft in drafts]
        problems = services.check_platform_codes(shop, pairs, replace=True, existing=existing)
        for index, draft in enumerate(drafts):
            draft.problems = problems.get(index, [])
            draft.existing = existing.get(platform_code_key(draft.code))
            draft.mapping = draft.existing or SkuMapping(shop=shop, platform_code=draft.code)
            if draft.existing is not None and not draft.problems:
                draft.unchanged = services.mapping_unchanged(draft.existing, draft.components)

    def row_plan_text(self, draft, line):
        if line != draft.first_line:
            return f"商家编码 {draft.code} 的另一件商品（同第 {draft.first_line} 行）"
        wanted = components_text(services.parsed_components(draft.components))
        bundle = "（组合装）" if len(draft.components) > 1 else ""
        if draft.existing is None:
            return f"商家编码 {draft.code} → {wanted}{bundle}"
        before = components_text((c.item, c.quantity) for c in draft.existing.components.all())
        if draft.unchanged:
            return f"商家编码 {draft.code} 已对应 {before}，无变化"
        return f"商家编码 {draft.code} → {wanted}{bundle}（原为 {before}）"

    def get_instance(self, instance_loader, row):
        """The mapping the row's code has now (the row is then a change, or nothing), else None (new)."""
        shop_text, code = cell_text(row.get("店铺")), cell_text(row.get("商家编码"))
        shop = self.shops.get(shop_text) if shop_text else self.fallback_shop
        draft = self.drafts.get((shop.pk, platform_code_key(code))) if shop is not None and code else None
        return draft.existing if draft is not None else None

    def import_instance(self, instance, row, **kwargs):
        index = kwargs["row_number"] - 1
        draft, problems = self.plans[index]
        problems = problems + (draft.problems if draft is not None else [])
        if draft is not None and draft.broken and not problems:
            problems = [f"商家编码 {draft.code} 的其他行有问题，改正后这一行才能导入（组合装的各行一起导入）。"]
        if problems:
            raise ValidationError(problems)
        instance.shop, instance.platform_code = draft.shop, draft.code  # what the admin's log entry names
        self.row_draft = draft
        self.row_skip = draft.unchanged
        self.row_plan = self.row_plan_text(draft, self.lines[index])

    def save_instance(self, instance, is_create, row, **kwargs):
        # Each code is handed to write_rows once, with all its components, from its first row.
        draft = self.row_draft
        if id(draft) not in self.queued:
            self.queued.add(id(draft))
            super().save_instance(draft.mapping, is_create, row, **kwargs)

    def write_rows(self, mappings):
        drafts = {id(draft.mapping): draft for draft in self.drafts.values()}
        by_shop = {}
        for mapping in mappings:
            draft = drafts[id(mapping)]
            by_shop.setdefault(draft.shop, []).append((draft.code, draft.components))
        try:
            for shop, pairs in by_shop.items():
                services.map_platform_codes(shop, pairs, replace=True, user=self.user)
        except ValidationError as exc:
            raise ValidationError(services.error_messages(exc)) from exc
