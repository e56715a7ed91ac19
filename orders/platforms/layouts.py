"""The platforms' order exports as tables: which headers name a file, and which carry each column.

Seen in the wild, not official specs (docs: /work/shared/platform-exports.md): headers are matched
by name and synonym, never by position. Each file is normalised into our own order import's
columns (CANONICAL); orders.resources.OrderImportResource plans those rows with one set of rules.
"""

from dataclasses import dataclass, field

from orders.models import Shop

P = Shop.Platform

# Our order import's columns (orders.resources.OrderImportResource), plus what a platform adds.
ORDER_NO, CUSTOMER, SKU, QUANTITY = "订单号", "用户ID", "SKU", "数量"
NAME, PHONE, ADDRESS = "收货人", "电话", "地址"
SUB_ORDER, ORDERED, NOTE, SHIP_BY = "子订单号", "下单时间", "备注", "承诺发货时间"
PROVINCE, CITY, DISTRICT, PRODUCT = "省", "市", "区", "商品名称"
STATUS, AFTER_SALES, ENCRYPTED = "平台状态", "售后状态", "平台加密"
CANONICAL = (
    ORDER_NO,
    CUSTOMER,
    SKU,
    QUANTITY,
    NAME,
    PHONE,
    ADDRESS,
    SUB_ORDER,
    ORDERED,
    NOTE,
    SHIP_BY,
    PROVINCE,
    CITY,
    DISTRICT,
    PRODUCT,
    STATUS,
    AFTER_SALES,
    ENCRYPTED,
)
# Read from a file but folded into others: the street into 地址, the two remarks into 备注.
STREET, BUYER_MESSAGE, SELLER_NOTE = "街道", "买家留言", "商家备注"

# The cross-platform synonyms (one public normaliser's), tried after a platform's own names.
SYNONYMS = {
    PRODUCT: ("商品名称", "标题", "宝贝标题", "商品", "选购商品", "货品标题"),
    QUANTITY: ("购买数量", "商品数量", "订购数量", "商品数量(件)", "宝贝总数量", "SKU件数", "数量"),
    SKU: (
        "商家编码",
        "商家SKUID",
        "商品SKU",
        "商家编码-SKU维度",
        "商家编码-规格维度",
        "规格编码",
        "货号",
        "小红书编码",
    ),
    NAME: ("收货人姓名", "客户姓名", "收件人", "收货人", "收货人/提货人"),
    ADDRESS: ("收货地址", "客户地址", "收件地址", "详细地址", "详细收货地址/提货地址"),
    PHONE: ("联系手机", "联系电话", "收件人手机号", "手机", "收货人手机号/提货人手机号"),
}
# A courier's or platform's tracking file (订单号 + 快递单号): the 导入快递单号 page takes it.
TRACKING_NUMBER_HEADERS = ("快递单号", "物流单号", "运单号", "配送单号", "商品发货物流单号")


@dataclass(frozen=True)
class Layout:
    """One export file of one platform.

    `signature`: headers that together say "this is that file"; `columns`: canonical column ->
    the headers that may carry it, first found wins (SYNONYMS are tried after them); `needs`:
    canonical columns without which the file cannot be imported alone. An `items` file's rows
    are the order lines, joined to an `orders` file on 订单号 for what they lack.
    """

    platform: str
    kind: str  # "orders": a row per order (with its goods when `needs` are there), "items": a row per line
    title: str
    signature: tuple
    columns: dict = field(default_factory=dict)
    needs: tuple = (ORDER_NO, SKU, QUANTITY)
    receiver_hidden: bool = False  # the platform never exports name, phone and street (拼多多)

    @property
    def label(self):
        return f"{P(self.platform).label}{self.title}"

    def headers_for(self, column):
        return (*self.columns.get(column, ()), *SYNONYMS.get(column, ()), column)


TAOBAO_ORDERS = Layout(
    P.TAOBAO,
    "orders",
    "订单报表",
    ("订单编号", "买家会员名"),
    {
        ORDER_NO: ("订单编号",),
        CUSTOMER: ("买家会员名",),
        ORDERED: ("订单创建时间", "买家下单时间"),
        STATUS: ("订单状态",),
        AFTER_SALES: ("退款状态",),
        BUYER_MESSAGE: ("买家留言",),
        SELLER_NOTE: ("订单备注", "商家备注"),
        SHIP_BY: ("承诺发货时间",),
    },
    needs=(ORDER_NO, SKU, QUANTITY, NAME, ADDRESS, PHONE),
)
TAOBAO_ITEMS = Layout(
    P.TAOBAO,
    "items",
    "宝贝报表",
    ("订单编号", "标题"),
    {
        ORDER_NO: ("订单编号",),
        SUB_ORDER: ("子订单编号",),
        PRODUCT: ("标题",),
        STATUS: ("订单状态",),
        AFTER_SALES: ("退款状态", "售后状态"),
    },
)
PINDUODUO = Layout(
    P.PINDUODUO,
    "orders",
    "订单导出",
    ("订单号", "商品数量(件)"),
    {
        SKU: ("商家编码-规格维度", "商家编码-商品维度"),
        QUANTITY: ("商品数量(件)",),
        PRODUCT: ("商品",),
        ORDERED: ("订单成交时间", "支付时间"),
        SHIP_BY: ("承诺发货时间",),
        STATUS: ("订单状态",),
        AFTER_SALES: ("售后状态",),
        STREET: ("街道/镇",),
        BUYER_MESSAGE: ("买家留言",),
        SELLER_NOTE: ("商家备注",),
    },
    receiver_hidden=True,
)
DOUDIAN = Layout(
    P.DOUDIAN,
    "orders",
    "订单导出",
    ("主订单编号", "子订单编号"),
    {
        ORDER_NO: ("主订单编号",),
        SUB_ORDER: ("子订单编号",),
        PRODUCT: ("商品名称", "选购商品"),
        QUANTITY: ("商品数量",),
        NAME: ("收件人",),
        PHONE: ("收件人手机号",),
        STREET: ("街道",),
        ADDRESS: ("详细地址",),
        ORDERED: ("订单提交时间", "下单时间"),
        SHIP_BY: ("承诺发货时间",),
        STATUS: ("订单状态",),
        AFTER_SALES: ("售后状态",),
        BUYER_MESSAGE: ("买家留言",),
        SELLER_NOTE: ("商家备注",),
    },
    needs=(ORDER_NO, SKU, QUANTITY, NAME, ADDRESS, PHONE),
)
JD = Layout(
    P.JD,
    "orders",
    "订单导出",
    ("订单号", "客户姓名"),
    {
        SKU: ("货号", "商家SKU", "商品ID"),
        QUANTITY: ("订购数量",),
        CUSTOMER: ("下单帐号", "下单账号"),
        ORDERED: ("下单时间",),
        STATUS: ("订单状态",),
        BUYER_MESSAGE: ("订单备注",),
        SELLER_NOTE: ("商家备注",),
    },
    needs=(ORDER_NO, SKU, QUANTITY, NAME, ADDRESS, PHONE),
)
YOUZAN_ORDERS = Layout(
    P.YOUZAN,
    "orders",
    "订单维度",
    ("订单号", "全部商品名称"),
    {
        ORDERED: ("订单创建时间",),
        STATUS: ("订单状态",),
        AFTER_SALES: ("订单退款状态",),
        PROVINCE: ("收货人省份",),
        CITY: ("收货人城市",),
        DISTRICT: ("收货人地区",),
        BUYER_MESSAGE: ("买家备注",),
        SELLER_NOTE: ("商家订单备注",),
    },
    needs=(ORDER_NO, SKU, QUANTITY, NAME, ADDRESS, PHONE),
)
YOUZAN_ITEMS = Layout(
    P.YOUZAN,
    "items",
    "商品维度",
    ("订单号", "订单商品状态"),
    {
        SKU: ("规格编码", "商品编码"),
        STATUS: ("订单商品状态",),
        AFTER_SALES: ("商品退款状态",),
        PROVINCE: ("收货人省份",),
        CITY: ("收货人城市",),
        DISTRICT: ("收货人地区",),
        BUYER_MESSAGE: ("买家备注",),
        SELLER_NOTE: ("商家订单备注",),
    },
)
WECHAT = Layout(
    P.WECHAT,
    "orders",
    "订单导出",
    ("订单号", "订单下单时间"),
    {
        SKU: ("SKU编码(自定义)", "自定义SKU编码"),
        ORDERED: ("订单下单时间",),
        STATUS: ("订单状态",),
        AFTER_SALES: ("售后状态",),
        BUYER_MESSAGE: ("买家留言", "买家备注"),
        SELLER_NOTE: ("商家备注",),
    },
    needs=(ORDER_NO, SKU, QUANTITY, NAME, ADDRESS, PHONE),
)
ALI1688 = Layout(
    P.ALI1688,
    "orders",
    "订单导出",
    ("订单号", "货品标题"),
    {
        CUSTOMER: ("买家",),
        SKU: ("单品货号", "货号", "商家编码"),
        ORDERED: ("下单时间",),
        STATUS: ("订单状态",),
        AFTER_SALES: ("退款状态",),
        BUYER_MESSAGE: ("买家留言",),
        SELLER_NOTE: ("卖家备注", "商家备注"),
    },
    needs=(ORDER_NO, SKU, QUANTITY, NAME, ADDRESS, PHONE),
)

LAYOUTS = (
    TAOBAO_ORDERS,
    TAOBAO_ITEMS,
    PINDUODUO,
    DOUDIAN,
    JD,
    YOUZAN_ORDERS,
    YOUZAN_ITEMS,
    WECHAT,
    ALI1688,
)


def known_headers():
    """Every header name a layout (or our own import) reads: a row with two of them is a header row."""
    names = set(CANONICAL) | set(TRACKING_NUMBER_HEADERS) | {"快递公司", "物流公司"}
    for layout in LAYOUTS:
        names.update(layout.signature)
        for column in (*CANONICAL, STREET, BUYER_MESSAGE, SELLER_NOTE):
            names.update(layout.headers_for(column))
    return frozenset(names)
