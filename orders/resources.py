"""django-import-export resources for orders: the order export, and the imports of tracking numbers
from the couriers and of new orders from the shop platform.

Both imports are all or nothing (see oms.importing.resources.AllOrNothingImport): the preview lists
what each row will do and every problem, and a file with any problem changes nothing.
"""

import tablib
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from import_export import fields, resources
from import_export.instance_loaders import CachedInstanceLoader

from inventory.models import InventoryItem
from oms.importing.formats import cell_text
from oms.importing.resources import AllOrNothingImport, labelled_messages, text_column
from oms.spreadsheet import escape_formula
from orders import services
from orders.models import Order
from orders.reports import exports
from orders.selectors import CarrierDirectory


class OrderExportResource(resources.ModelResource):
    """导出订单: a row per order line (orders.reports.exports), Chinese headers, formula-escaped.

    Rows are read as plain values in chunks, so a large export builds no model instances.
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
        dataset = tablib.Dataset(headers=self.get_export_headers())
        for row in exports.order_export_rows(queryset, full_receiver=self.full_receiver):
            dataset.append([escape_formula(cell) for cell in row])
        return dataset


STATUS = Order.Status


class TrackingImportResource(AllOrNothingImport, resources.ModelResource):
    """导入快递单号: the rows are checked one by one for the preview, then shipped through
    services.ship_orders a batch at a time (Meta.use_bulk), with the order list's rules."""

    order_no = text_column("order_no", "订单号")
    carrier = text_column("carrier", "快递公司")
    tracking_number = text_column("tracking_number", "快递单号")

    key_column = "订单号"
    key_noun = "订单"
    column_aliases = {"物流公司": "快递公司", "快递": "快递公司", "运单号": "快递单号", "物流单号": "快递单号"}
    outcome_labels = {"update": ("将发货", "已发货"), "skip": ("跳过", "已跳过")}

    class Meta:
        model = Order
        name = "导入快递单号"
        fields = ("order_no", "carrier", "tracking_number")
        import_id_fields = ("order_no",)
        # One query loads every order of the file (with item and carrier), not one per row.
        instance_loader_class = CachedInstanceLoader
        skip_diff = True
        use_transactions = True
        # Checked rows are shipped by write_rows(), 1,000 at a time.
        use_bulk = True
        batch_size = 1000

    def get_queryset(self):
        return Order.objects.select_related("item", "carrier")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        self.carriers = CarrierDirectory()
        self.tally = services.StockTally(earlier="文件中前面的行")
        # The live orders using the file's numbers, read once; each shipped row is added to it.
        # (super() has already refused a file without the 快递单号 column.)
        numbers = (cell_text(n).upper() for n in dataset["快递单号"])
        self.numbers_in_use = Order.live_orders_by_tracking_number(n for n in numbers if n)

    def import_instance(self, instance, row, **kwargs):
        order_no = self.fields["order_no"].clean(row)
        carrier_text = self.fields["carrier"].clean(row)
        # The same normalisation as Order.clean, so "sf123" in a file matches SF123 on the order.
        number = self.fields["tracking_number"].clean(row).upper()
        problems = []
        if instance.pk is not None and not carrier_text and not number:
            # An exported order list comes back with the rows the clerk had no number for yet.
            self.row_skip = True
            self.row_plan = "未填写快递公司和快递单号，跳过"
            return

        carrier = self.carriers.find(carrier_text) if carrier_text else None
        if not carrier_text:
            problems.append("快递公司为空。")
        elif carrier is None:
            problems.append(f"不认识快递公司“{carrier_text}”。可填写名称或代码，例如：{self.carriers.names()}。")
        elif not carrier.is_active and instance.carrier_id != carrier.pk:
            problems.append(f"快递公司“{carrier.name}”已停用。")
        if not number:
            problems.append("快递单号为空。")
        elif carrier is not None and not carrier.accepts(number):
            problems.append(f"快递单号“{number}”不符合{carrier.name}的单号格式，请核对。")

        if not order_no:
            problems.append("订单号为空。")
        elif instance.pk is None:
            problems.append(f"订单 {order_no} 不存在。")
        else:
            repeated = self.repeated_key_problem(order_no)
            if repeated:
                problems.append(repeated)
            elif instance.status == STATUS.CANCELLED:
                problems.append(f"订单 {order_no} 已取消，不能发货。")
            elif instance.status == STATUS.SHIPPED:
                if carrier is not None and (instance.carrier_id, instance.tracking_number) == (carrier.pk, number):
                    self.row_skip = True
                    self.row_plan = f"已用同一单号发货（{carrier.name} {number}），无需处理"
                else:
                    shipped_with = f"{instance.carrier.name if instance.carrier_id else ''} {instance.tracking_number}"
                    problems.append(
                        f"订单 {order_no} 已发货（{shipped_with.strip()}），与文件中的不同。"
                        "如需更正，请先在订单列表撤销发货。"
                    )
            elif not problems:
                problems.extend(self.number_in_use_problems(instance, carrier, number))
                shortfall = None if problems else self.tally.shortfall(instance)
                if shortfall:
                    problems.append(shortfall)

        if problems:
            raise ValidationError(problems)
        if not self.row_skip:
            self.row_plan = (
                f"{carrier.name} {number}；{instance.item.sku}（{instance.item.name}）出库 {instance.quantity} 件"
            )
            if instance.consolidated_with:
                self.row_plan += f"；与订单 {'、'.join(instance.consolidated_with)} 合并发货（同一收货人）"

    def number_in_use_problems(self, order, carrier, number):
        """The number-in-use rule of Order.clean, for the preview: against the database and the rows above."""
        order.carrier, order.tracking_number = carrier, number
        try:
            order.check_tracking_number_unused(self.numbers_in_use)
        except ValidationError as exc:
            return exc.messages
        self.numbers_in_use.setdefault(number, []).append(order)
        return []

    def write_rows(self, orders):
        try:
            services.ship_orders([(order, order.carrier, order.tracking_number) for order in orders], user=self.user)
        except services.InsufficientStock as exc:
            raise ValidationError(str(exc)) from exc


class OrderImportResource(AllOrNothingImport, resources.ModelResource):
    """导入订单: new pending orders from the shop platform's export; existing order numbers are skipped.

    Rows are checked one by one (full_clean included) and added by services.create_orders in bulk."""

    order_no = text_column("order_no", "订单号")
    customer_id = text_column("customer_id", "用户ID")
    sku = text_column(None, "SKU")
    quantity = text_column(None, "数量")
    receiver_name = text_column("receiver_name", "收货人")
    receiver_phone = text_column("receiver_phone", "电话")
    address = text_column("address", "地址")

    admin_permission = "add"
    key_column = "订单号"
    key_noun = "订单"
    column_aliases = {
        "sku": "SKU",
        "商品编码": "SKU",
        "用户id": "用户ID",
        "买家ID": "用户ID",
        "收货人电话": "电话",
        "手机": "电话",
        "收货地址": "地址",
    }
    outcome_labels = {"new": ("将新建", "已新建"), "skip": ("跳过", "已跳过")}

    class Meta:
        model = Order
        name = "导入订单"
        fields = ("order_no", "customer_id", "sku", "quantity", "receiver_name", "receiver_phone", "address")
        import_id_fields = ("order_no",)
        instance_loader_class = CachedInstanceLoader
        skip_diff = True
        use_transactions = True
        # Checked rows are added by write_rows(), 1,000 at a time.
        use_bulk = True
        batch_size = 1000

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        skus = {value for value in dataset["SKU"] if value} if dataset.headers else set()
        self.items = {item.sku: item for item in InventoryItem.objects.filter(sku__in=skus)}

    def import_instance(self, instance, row, **kwargs):
        values = {name: self.fields[name].clean(row) for name in self._meta.fields}
        order_no = values["order_no"]
        problems = []
        if not order_no:
            problems.append("订单号为空。")
        elif self.repeated_key_problem(order_no):
            problems.append(self.repeated_key_problem(order_no))
        elif instance.pk is not None:
            self.row_skip = True
            self.row_plan = f"订单 {order_no} 已存在，跳过（不会覆盖）"
            return

        item = self.items.get(values["sku"])
        if not values["sku"]:
            problems.append("SKU 为空。")
        elif item is None:
            problems.append(f"SKU {values['sku']} 不存在，请先在库存商品中添加。")
        quantity = values["quantity"]
        if not quantity.isdigit() or int(quantity) <= 0:
            problems.append(f"数量“{quantity}”无效，应为正整数。")
        for name in ("receiver_name", "receiver_phone", "address"):
            if not values[name]:
                problems.append(f"{self.fields[name].column_name}为空。")

        if not problems:
            for name in ("order_no", "customer_id", "receiver_name", "receiver_phone", "address"):
                setattr(instance, name, values[name])
            instance.item = item
            instance.quantity = int(quantity)
            instance.status = STATUS.PENDING
            try:
                # Lengths and the like, checked now so the preview lists them with the other problems.
                instance.full_clean(exclude=["item"], validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                problems.extend(labelled_messages(exc, Order))
        if problems:
            raise ValidationError(problems)
        self.row_plan = f"待发货订单：{item.sku}（{item.name}）× {instance.quantity}，收货人 {instance.receiver_name}"

    def write_rows(self, orders):
        try:
            services.create_orders(orders, user=self.user)
        except IntegrityError as exc:
            raise ValidationError("文件中有订单号在预览之后已被其他人导入或添加。请重新上传文件预览。") from exc
