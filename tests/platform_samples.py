"""Platform order exports as the platforms write them, built from the headers in platform-exports.md.

A test describes orders (SampleOrder, SampleLine) and gets the file(s) a clerk downloads from that
platform: its header names and order, its encoding, its ="…" cells and title lines.
"""

from dataclasses import dataclass, field

from tests.importing import csv_bytes, xlsx_bytes


@dataclass
class SampleLine:
    code: str
    quantity: int = 1
    name: str = "测试商品"
    sub_order_no: str = ""
    after_sales: str = ""


@dataclass
class SampleOrder:
    order_no: str
    lines: list = field(default_factory=list)
    name: str = "张三"
    phone: str = "13800000001"
    province: str = "上海市"
    city: str = "上海市"
    district: str = "浦东新区"
    street: str = "张杨路 100 号"
    status: str = ""
    ordered: str = "2026-11-30 10:15:00"
    ship_by: str = ""
    buyer_message: str = ""
    seller_note: str = ""
    masked: bool = False

    @property
    def address(self):
        return f"{self.province}{self.city}{self.district}{self.street}"


def wrapped(text):
    """A long number as Excel-minded exports write it, so Excel keeps every digit."""
    return f'="{text}"'


# --- 抖店: a row per 子订单 (a 主订单 of one item has 子订单编号 = 主订单编号) -----------------------

DOUDIAN_HEADERS = [
    "主订单编号", "子订单编号", "选购商品", "商品规格", "商品数量", "商家编码", "商品单价", "订单应付金额",
    "收件人", "收件人手机号", "省", "市", "区", "街道", "详细地址", "买家留言", "订单提交时间", "商家备注",
    "订单状态", "承诺发货时间", "售后状态", "取消原因",
]  # fmt: skip


def doudian(orders):
    rows = [DOUDIAN_HEADERS]
    for order in orders:
        for n, line in enumerate(order.lines):
            sub = line.sub_order_no or (order.order_no if len(order.lines) == 1 else f"{order.order_no}{n + 1}")
            name, phone, detail = order.name, order.phone, order.street
            if order.masked:
                name, phone, detail = order.name[0] + "**", order.phone[:3] + "****" + order.phone[-4:], "****"
            rows.append([
                wrapped(order.order_no), wrapped(sub), line.name, "默认", line.quantity, line.code, "19.90",
                "19.90", name, phone, order.province, order.city, order.district, "", detail,
                order.buyer_message, order.ordered, order.seller_note, order.status or "待发货", order.ship_by,
                line.after_sales, "",
            ])  # fmt: skip
    return [("抖店订单.csv", csv_bytes(rows, "utf-8-sig"))]


# --- 拼多多: a row per order, no receiver name, phone or street; title lines above the header ---

PINDUODUO_HEADERS = [
    "商品", "订单号", "订单状态", "商品数量(件)", "是否审核中", "支付时间", "承诺发货时间", "发货时间",
    "商品id", "商品规格", "商家编码-规格维度", "商家编码-商品维度", "商家备注", "买家留言", "售后状态",
    "订单成交时间", "商品总价(元)", "用户实付金额(元)", "快递单号", "快递公司", "省", "市", "区", "街道/镇",
]  # fmt: skip


def pinduoduo(orders, title_lines=("订单列表", "导出时间：2026-12-01 09:00:00")):
    rows = [[title] for title in title_lines] + [PINDUODUO_HEADERS]
    for order in orders:
        (line,) = order.lines  # one goods item per order
        province = "****" if order.masked else order.province
        rows.append([
            line.name, order.order_no, order.status or "待发货", line.quantity, "否", order.ordered,
            order.ship_by, "", "1001", "默认", line.code, "", order.seller_note, order.buyer_message,
            line.after_sales or "无售后或售后取消", order.ordered, "9.90", "9.90", "", "", province,
            order.city, order.district, "",
        ])  # fmt: skip
    return [("拼多多订单.csv", csv_bytes(rows, "gb18030"))]


# --- 淘宝/天猫: 订单报表 + 宝贝报表 (joined on 订单编号), GB18030, ="…" numbers ------------------

TAOBAO_ORDER_HEADERS = [
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "总金额", "买家实际支付金额", "订单状态",
    "订单关闭原因", "收货人姓名", "收货地址", "联系电话", "联系手机", "订单创建时间", "订单付款时间",
    "宝贝标题", "宝贝总数量", "店铺名称", "买家留言", "订单备注",
]  # fmt: skip
TAOBAO_ITEM_HEADERS = [
    "订单编号",
    "标题",
    "价格",
    "购买数量",
    "外部系统编号",
    "商品属性",
    "备注",
    "订单状态",
    "商家编码",
    "退款状态",
]


def taobao(orders, *, items_file=True):
    order_rows = [TAOBAO_ORDER_HEADERS]
    item_rows = [TAOBAO_ITEM_HEADERS]
    for order in orders:
        title = "，".join(line.name for line in order.lines)
        order_rows.append([
            wrapped(order.order_no), "tb_buyer", "", "10.00", "10.00", "10.00",
            order.status or "买家已付款，等待卖家发货", "", order.name,
            f"{order.province} {order.city} {order.district} {order.street}", "",
            f"'{order.phone}", order.ordered, order.ordered, title, sum(line.quantity for line in order.lines),
            "测试店", order.buyer_message, order.seller_note,
        ])  # fmt: skip
        for line in order.lines:
            item_rows.append([
                wrapped(order.order_no), line.name, "5.00", line.quantity, "", "颜色:默认", "",
                order.status or "买家已付款，等待卖家发货", line.code, line.after_sales or "没有申请退款",
            ])  # fmt: skip
    files = [("淘宝订单报表.csv", csv_bytes(order_rows, "gb18030"))]
    if items_file:
        files.append(("淘宝宝贝报表.csv", csv_bytes(item_rows, "gb18030")))
    return files


# --- 有赞: 订单维度 + 商品维度 ---------------------------------------------------------------------

YOUZAN_ORDER_HEADERS = [
    "订单号", "销售渠道", "归属店铺", "订单类型", "订单状态", "订单创建时间", "买家付款时间", "商品金额合计",
    "运费", "订单实付金额", "全部商品名称", "商品种类数", "订单配送方式", "收货人省份", "收货人城市",
    "收货人地区", "详细收货地址/提货地址", "收货人/提货人", "收货人手机号/提货人手机号", "买家备注",
    "商家订单备注", "订单退款状态",
]  # fmt: skip
YOUZAN_ITEM_HEADERS = [
    "订单号", "外部订单号", "订单商品状态", "商品名称", "商品规格", "规格编码", "商品编码", "商品单价",
    "商品数量", "商品金额小计", "收货人/提货人", "收货人手机号/提货人手机号", "收货人省份", "收货人城市",
    "收货人地区", "详细收货地址/提货地址", "买家备注", "商品发货状态", "商品退款状态", "商家订单备注",
]  # fmt: skip


def youzan(orders):
    order_rows, item_rows = [YOUZAN_ORDER_HEADERS], [YOUZAN_ITEM_HEADERS]
    for order in orders:
        order_rows.append([
            order.order_no, "微商城", "测试店", "普通订单", order.status or "待发货", order.ordered, order.ordered,
            "10.00", "0.00", "10.00", "；".join(line.name for line in order.lines), len(order.lines), "快递发货",
            order.province, order.city, order.district, order.street, order.name, order.phone,
            order.buyer_message, order.seller_note, "无退款",
        ])  # fmt: skip
        for line in order.lines:
            item_rows.append([
                order.order_no, "", order.status or "待发货", line.name, "默认", line.code, "", "5.00",
                line.quantity, "5.00", order.name, order.phone, order.province, order.city, order.district,
                order.street, order.buyer_message, "待发货", line.after_sales or "无退款", order.seller_note,
            ])  # fmt: skip
    return [("有赞订单维度.xlsx", xlsx_bytes(order_rows)), ("有赞商品维度.xlsx", xlsx_bytes(item_rows))]


# --- 京东 POP: a row per SKU of an order -------------------------------------------------------------

JD_HEADERS = [
    "订单号", "商品ID", "商品名称", "订购数量", "货号", "下单时间", "付款确认时间", "订单金额", "应付金额",
    "运费金额", "订单状态", "订单备注", "商家备注", "客户姓名", "客户地址", "联系电话", "下单帐号",
    "订单来源", "订单渠道", "仓库名称",
]  # fmt: skip


def jd(orders):
    rows = [JD_HEADERS]
    for order in orders:
        for line in order.lines:
            rows.append([
                wrapped(order.order_no), "100012", line.name, line.quantity, line.code, order.ordered,
                order.ordered, "10.00", "10.00", "0.00", order.status or "等待出库", order.buyer_message,
                order.seller_note, order.name, order.address, order.phone, "jd_buyer", "普通订单", "京东商城", "",
            ])  # fmt: skip
    return [("京东订单.csv", csv_bytes(rows, "gb18030"))]


# --- 微信小店 (partial header): receiver columns by the common synonyms --------------------------

WECHAT_HEADERS = [
    "订单号", "商品名称", "SKU编码(自定义)", "SKU编码(平台)", "商品ID", "订单下单时间", "订单状态", "商品数量",
    "收件人", "收件人手机号", "省", "市", "区", "详细地址", "买家留言",
]  # fmt: skip


def wechat(orders):
    rows = [WECHAT_HEADERS]
    for order in orders:
        for line in order.lines:
            rows.append([
                order.order_no, line.name, line.code, "P1", "S1", order.ordered, order.status or "待发货",
                line.quantity, order.name, order.phone, order.province, order.city, order.district,
                order.street, order.buyer_message,
            ])  # fmt: skip
    return [("微信小店订单.xlsx", xlsx_bytes(rows))]


# --- 1688 (partial header): 货号 for the seller's code, receivers by the synonyms -------------------

ALI1688_HEADERS = [
    "订单号", "下单时间", "物流公司", "实付款", "运单号", "买家", "收货人姓名", "联系手机", "收货地址",
    "货品标题", "规格", "数量", "货号", "退款状态", "订单状态",
]  # fmt: skip


def ali1688(orders):
    rows = [ALI1688_HEADERS]
    for order in orders:
        for line in order.lines:
            rows.append([
                wrapped(order.order_no), order.ordered, "", "10.00", "", "ali_buyer", order.name, order.phone,
                order.address, line.name, "默认", line.quantity, line.code, line.after_sales or "无退款",
                order.status or "等待卖家发货",
            ])  # fmt: skip
    return [("1688订单.csv", csv_bytes(rows, "gb18030"))]


WRITERS = {
    "doudian": doudian,
    "pinduoduo": pinduoduo,
    "taobao": taobao,
    "youzan": youzan,
    "jd": jd,
    "wechat": wechat,
    "1688": ali1688,
}
