"""Realistic sample data for the demo, the tests and the benchmarks.

The generators (names, phones, addresses, tracking numbers, product pictures) are plain
functions; `seed_shop` builds the demo shop of `manage.py seed_demo` through the services only.
"""

import colorsys
import io
import random
import string
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "晓东",
    "雨欣",
    "子涵",
    "浩然",
    "思远",
    "佳怡",
]
PLACES = [
    ("上海市", "浦东新区", ["张杨路", "世纪大道", "东方路", "锦绣路"]),
    ("北京市", "朝阳区", ["建国路", "望京街", "酒仙桥路", "朝阳北路"]),
    ("广东省广州市", "天河区", ["天河路", "体育西路", "黄埔大道", "中山大道"]),
    ("广东省深圳市", "南山区", ["科技园路", "深南大道", "后海大道", "南海大道"]),
    ("浙江省杭州市", "西湖区", ["文三路", "天目山路", "教工路", "古墩路"]),
    ("江苏省南京市", "鼓楼区", ["中山路", "北京西路", "广州路", "汉中路"]),
    ("四川省成都市", "武侯区", ["人民南路", "科华北路", "一环路南四段", "武侯祠大街"]),
    ("湖北省武汉市", "洪山区", ["珞喻路", "雄楚大道", "光谷大道", "民族大道"]),
]
PRODUCTS = [
    "纯棉T恤 白色 L",
    "纯棉T恤 黑色 M",
    "保温杯 500ml",
    "无线蓝牙耳机",
    "手机支架",
    "USB-C 数据线 1米",
    "帆布双肩包",
    "不锈钢饭盒",
    "加厚瑜伽垫",
    "陶瓷马克杯",
    "LED 护眼台灯",
    "机械键盘 青轴",
    "无线鼠标",
    "折叠雨伞",
    "运动水壶 750ml",
    "羊毛围巾",
    "记事本 A5",
    "充电宝 10000mAh",
    "香薰蜡烛",
    "厨房剪刀",
]
# The shop's own 商家编码 for each product, as a small shop writes them (not SKU-001: messages
# like "SKU SKU-004 库存不足" read oddly, and real codes are what clerks type and scan).
PRODUCT_SKUS = [
    "TS-WHT-L",
    "TS-BLK-M",
    "CUP-500",
    "BT-EAR-01",
    "PH-STAND",
    "CBL-C-1M",
    "BAG-CANVAS",
    "BOX-SS",
    "YOGA-MAT",
    "MUG-CER",
    "LAMP-LED",
    "KB-BLUE",
    "MOUSE-WL",
    "UMB-FOLD",
    "BTL-750",
    "SCARF-WOOL",
    "NOTE-A5",
    "PWR-10K",
    "CANDLE-01",
    "SCISSORS-K",
]

# Each carrier's most common current form (orders/migrations/0012_carrier_number_hint.py).
# 申通's 77 + 13 digits also fits 韵达 (a known overlap): the desk asks which one, as it would live.
TRACKING_FORMATS = {
    "SF": ("SF", 13),
    "ZTO": ("7", 13),
    "YTO": ("YT", 13),
    "STO": ("77", 13),
    "YD": ("53", 11),
    "JTSD": ("JT", 13),
    "JD": ("JD", 13),
    "EMS": ("97", 11),
    "DBL": ("DPK", 12),
}

FONT_PATHS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
]


def tracking_number(carrier_code, rng=random):
    prefix, digits = TRACKING_FORMATS.get(carrier_code, ("", 12))
    return prefix + "".join(rng.choice(string.digits) for _ in range(digits))


def person_name(rng=random):
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def phone(rng=random):
    return rng.choice(["138", "139", "150", "186", "177", "133"]) + "".join(rng.choice(string.digits) for _ in range(8))


def address(rng=random):
    province, district, streets = rng.choice(PLACES)
    building = f"{rng.randint(1, 30)}栋{rng.randint(101, 2808)}室"
    return f"{province}{district}{rng.choice(streets)}{rng.randint(1, 999)}号{building}"


def _font(size):
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return None


def product_picture(name, index, total, size=240):
    """A PNG with a distinct colour per product and its name written on it."""
    r, g, b = colorsys.hls_to_rgb(index / max(total, 1), 0.55, 0.55)
    image = Image.new("RGB", (size, size), (int(r * 255), int(g * 255), int(b * 255)))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([16, 16, size - 16, size - 16], radius=18, outline=(255, 255, 255), width=4)
    font = _font(30)
    # Without a CJK font only ASCII draws; keep the picture legible rather than boxes.
    text = name if font else "".join(ch for ch in name if ch.isascii()).strip() or f"#{index + 1}"
    lines = [text[i : i + 6] for i in range(0, len(text), 6)][:3]
    y = size / 2 - len(lines) * 20
    for line in lines:
        draw.text((size / 2, y), line, fill="white", font=font or ImageFont.load_default(), anchor="ma")
        y += 40
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# --- The demo shop ---------------------------------------------------------------------------


class Plan:
    """What seed_shop does with an order: the shapes a clerk meets every day."""

    PENDING = "pending"  # 待发货, recent
    SHIP = "ship"  # one parcel
    MERGE = "merge"  # 合并发货: this order and the next (same receiver) in one parcel
    MERGE_PARTNER = "merge_partner"  # the second order of a merge, shipped with the one before
    PARTIAL = "partial"  # 部分发货: one parcel with some lines, the rest pending
    SPLIT = "split"  # 拆单: shipped whole in two parcels
    VOID = "void"  # shipped, the parcel voided (撤销发货), shipped again with a new number
    VOID_PENDING = "void_pending"  # shipped, the parcel voided, back to pending
    CANCEL = "cancel"  # 已取消
    SHORT = "short"  # 待发货 and 缺货: wants more of a scarce item than the shelf holds


# The share of each plan (a MERGE takes two orders); SHIP takes the rest.
PLAN_SHARES = {
    Plan.PENDING: 0.15,
    Plan.MERGE: 0.04,
    Plan.PARTIAL: 0.05,
    Plan.SPLIT: 0.05,
    Plan.VOID: 0.03,
    Plan.VOID_PENDING: 0.02,
    Plan.CANCEL: 0.06,
}
MULTI_LINE_SHARE = 1 / 3  # of orders with 2-4 lines (a split needs at least two)
# The clerk's first orders ship: the oldest open orders (partly shipped ones included) are never
# short, and SHORT_ORDERS 缺货 orders come after this many pending ones, every SHORT_EVERY-th.
SHIPPABLE_FIRST = 10
SHORT_EVERY = 8
SHORT_ORDERS = 3


@dataclass
class SeededShop:
    items: list
    orders: list
    parcels: Counter  # what was shipped: "parcels", "merged", "split", "partial", "voided", "refused"


def demo_barcode(index):
    """A valid EAN-13 in China's 69 range (GS1 check digit) for demo product `index`."""
    body = f"690{index + 1:09d}"
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)


def demo_location(index):
    """货位 of demo product `index`: shelves A–D, five slots each."""
    return f"{'ABCD'[index // 5 % 4]}-{index % 5 + 1:02d}"


def create_demo_items(rng, *, user=None):
    """The 20 demo products with pictures, their opening stock received through adjust_stock."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from inventory.models import InventoryItem, StockMovement
    from inventory.services import adjust_stock

    items = []
    # Seeding again (--force), a batch prefix keeps SKUs unique.
    batch = "" if not InventoryItem.objects.exists() else timezone.localtime().strftime("%H%M%S-")
    for index, (name, code) in enumerate(zip(PRODUCTS, PRODUCT_SKUS, strict=True)):
        sku = f"{batch}{code}"
        item = InventoryItem(sku=sku, name=name, low_stock_threshold=10, location=demo_location(index))
        if not batch:  # barcodes are unique: only the first seeding gets them (验货 on the scan desk)
            item.barcode = demo_barcode(index)
        item.image.save(f"{sku}.png", ContentFile(product_picture(name, index, len(PRODUCTS))), save=False)
        item.save()
        # A few items start short so that 低库存 shows up in the demo.
        initial = rng.randint(3, 8) if index % 7 == 3 else rng.randint(80, 240)
        adjust_stock(item, initial, StockMovement.Reason.RECEIVE, user=user, note="期初库存")
        items.append(item)
    return items


DEMO_SHOPS = [
    # (name, platform, default ship-by hours)
    ("天猫旗舰店", "taobao", 24),
    ("拼多多专营店", "pinduoduo", 48),
    ("抖音小店", "doudian", 48),
]


def create_demo_shops():
    """The demo's shops (get_or_create, so a second seed adds none); orders are spread over them."""
    from orders.models import Shop

    return [
        Shop.objects.get_or_create(name=name, defaults={"platform": platform, "default_ship_by_hours": hours})[0]
        for name, platform, hours in DEMO_SHOPS
    ]


def seed_shop(total, *, rng, carriers, user=None, now=None):
    """Add `total` demo orders over the last 14 days, shipped, merged, split, voided and cancelled.

    Every write goes through orders.services and inventory.services, so stock and ledger agree
    (verify_stock passes). Pending orders are the newest, as in a shop that ships daily; a few
    pending pairs share a receiver, so the list has orders that could be merged.
    """
    from django.utils import timezone

    from orders import selectors, services
    from orders.models import Order, OrderLine

    now = now or timezone.now()
    items = create_demo_items(rng, user=user)
    shops = create_demo_shops()
    # Pending orders with a deadline already past, and others due before the Shanghai day ends.
    overdue_at, due_today_at = now - timedelta(hours=3), now + (selectors.end_of_today(now) - now) / 2
    pending_seen = 0
    # The short items (低库存) only in orders that stay pending: the shipping plans must not fail.
    plenty = [item for item in items if item.stock >= 50]
    scarce = [item for item in items if item.stock < 50]
    plans = _plans(total, rng)
    prefix = timezone.localtime(now).strftime("%y%m%d") + ("9" if Order.objects.exists() else "")
    drafts, receiver, shorts = [], None, 0
    # Pending orders before the first 缺货 one take only plentiful items: nothing in them runs short.
    first_short = plans.index(Plan.SHORT) if Plan.SHORT in plans else len(plans)
    for n, plan in enumerate(plans):
        created = now - timedelta(days=14) * (1 - n / total) - timedelta(minutes=rng.randint(0, 90))
        # The second order of a merge, and some pending ones (合并 candidates), go to the receiver before.
        if not (plan == Plan.MERGE_PARTNER or (plan in (Plan.PENDING, Plan.SHORT) and n % 6 == 1 and receiver)):
            receiver = (person_name(rng), phone(rng), address(rng))
        lines = rng.choice([2, 2, 3, 4]) if plan in (Plan.PARTIAL, Plan.SPLIT) else _line_count(rng)
        pool = items if plan in (Plan.PENDING, Plan.CANCEL) else plenty
        if plan == Plan.PENDING and n < first_short:
            pool = plenty
        order = Order(
            order_no=f"DD{prefix}{n + 1:04d}",
            customer_id=f"U{rng.randint(10000, 99999)}",
            receiver_name=receiver[0],
            receiver_phone=receiver[1],
            address=receiver[2],
            created_at=created,
            shop=shops[n % len(shops)],
        )
        if plan == Plan.PENDING:
            pending_seen += 1
            order.ship_by = {0: overdue_at, 1: due_today_at}.get(pending_seen % 4)  # else the shop's default
        if plan == Plan.SHORT:
            # Every other one also holds an item in stock: the scan desk offers 发有货的商品 for it.
            order_lines = _short_lines(order, rng, scarce, plenty, with_stocked_line=shorts % 2 == 0)
            shorts += 1
        else:
            order_lines = [
                OrderLine(item=item, quantity=rng.choice([1, 1, 1, 2, 2, 3]), sub_order_no=f"{order.order_no}-{k + 1}")
                for k, item in enumerate(rng.sample(pool, lines))
            ]
        drafts.append((order, order_lines))
    orders = services.create_orders(drafts, user=user)
    shipper = _Shipper(rng, carriers, user, now)
    remaining = selectors.remaining_lines(orders)
    for index, (order, plan) in enumerate(zip(orders, plans, strict=True)):
        lines = remaining[order.pk]
        if plan == Plan.CANCEL:
            services.cancel_order(order, user=user)
        elif plan == Plan.MERGE:
            shipper.ship_orders([order, orders[index + 1]], "merged")
        elif plan == Plan.SHIP:
            shipper.ship_orders([order])
        elif plan == Plan.PARTIAL:
            shipper.ship_lines(lines[:1], "partial")
        elif plan == Plan.SPLIT:
            shipper.ship_lines(lines[:1], "split")
            shipper.ship_lines(lines[1:])
        elif plan in (Plan.VOID, Plan.VOID_PENDING):
            parcel = shipper.ship_orders([order])
            if parcel is not None:
                shipper.void(parcel)
                if plan == Plan.VOID:
                    shipper.ship_orders([order])
    shipper.backdate()
    return SeededShop(items, orders, shipper.counts)


def _short_lines(order, rng, scarce, plenty, *, with_stocked_line):
    """A 缺货 order's lines: one more of a scarce item than its stock, and maybe one item in stock (发有货的商品)."""
    from orders.models import OrderLine

    item = rng.choice(scarce or plenty)
    lines = [OrderLine(item=item, quantity=item.stock + rng.randint(1, 2), sub_order_no=f"{order.order_no}-1")]
    if with_stocked_line:
        stocked = rng.choice([other for other in plenty if other != item])
        lines.append(OrderLine(item=stocked, quantity=1, sub_order_no=f"{order.order_no}-2"))
    return lines


def _plans(total, rng):
    """A plan per order, oldest first: every shape at least once (if `total` allows), pending ones newest.

    A few pending orders are short of stock (Plan.SHORT), never among the first SHIPPABLE_FIRST.
    """
    counts = {plan: max(1, round(total * share)) for plan, share in PLAN_SHARES.items()}
    pending = counts.pop(Plan.PENDING)
    units = [[Plan.MERGE, Plan.MERGE_PARTNER]] * counts.pop(Plan.MERGE)
    units += [[plan] for plan, count in counts.items() for _ in range(count)]
    units += [[Plan.SHIP]] * max(0, total - pending - sum(map(len, units)))
    rng.shuffle(units)
    shipped = [plan for unit in units for plan in unit][: max(0, total - pending)]
    if shipped and shipped[-1] == Plan.MERGE:  # cut off from its partner
        shipped[-1] = Plan.SHIP
    pending = [Plan.PENDING] * (total - len(shipped))
    # A small demo has few pending orders: the 缺货 ones then start halfway and follow closer.
    start = min(SHIPPABLE_FIRST, len(pending) // 2)
    step = max(1, min(SHORT_EVERY, (len(pending) - start) // SHORT_ORDERS))
    for position in range(start, len(pending), step)[:SHORT_ORDERS]:
        pending[position] = Plan.SHORT
    return shipped + pending


def _line_count(rng):
    return rng.choice([2, 2, 3, 4]) if rng.random() < MULTI_LINE_SHARE else 1


class _Shipper:
    """Ships through orders.services with fresh numbers and remembers each parcel's demo ship time."""

    def __init__(self, rng, carriers, user, now):
        self.rng, self.user, self.now = rng, user, now
        self.carriers = [c for c in carriers if c.code in TRACKING_FORMATS] or list(carriers)
        self.counts = Counter()
        self.ship_times = {}  # parcel pk -> demo shipped_at
        self.void_times = {}
        self.used = set()

    def _number(self, carrier):
        while (number := tracking_number(carrier.code, self.rng)) in self.used:
            pass
        self.used.add(number)
        return number

    def _shipped(self, parcel, orders, kind):
        latest = max(order.created_at for order in orders)
        # After the previous parcel of the same order (a split's second parcel comes later).
        after = max([latest, *(self.ship_times.get(pk, latest) for pk in self._parcels_of(orders))])
        self.ship_times[parcel.pk] = min(after + timedelta(hours=self.rng.randint(2, 30)), self.now)
        self.counts["parcels"] += 1
        if kind:
            self.counts[kind] += 1
        return parcel

    def _parcels_of(self, orders):
        from orders.models import ParcelLine

        return ParcelLine.objects.filter(line__order__in=orders).values_list("parcel_id", flat=True)

    def ship_orders(self, orders, kind=""):
        """One parcel for `orders` (whole); None when the services refuse (e.g. stock ran out)."""
        from orders import services

        carrier = self.rng.choice(self.carriers)
        number = self._number(carrier)
        try:
            parcels = services.ship_orders([(order, carrier, number) for order in orders], user=self.user)
        except (services.ShipmentRefused, services.InsufficientStock):
            self.counts["refused"] += 1
            return None
        return self._shipped(parcels[0], orders, kind)

    def ship_lines(self, lines, kind=""):
        """One parcel for `lines` ([(order line, units)]) of one order."""
        from orders import services

        carrier = self.rng.choice(self.carriers)
        try:
            parcel = services.ship_parcel(lines, carrier, self._number(carrier), user=self.user)
        except (services.ShipmentRefused, services.InsufficientStock):
            self.counts["refused"] += 1
            return None
        return self._shipped(parcel, [lines[0][0].order], kind)

    def void(self, parcel):
        from orders import services

        services.void_parcel(parcel, user=self.user)
        self.void_times[parcel.pk] = min(self.ship_times[parcel.pk] + timedelta(hours=1), self.now)
        self.counts["voided"] += 1

    def backdate(self):
        """Demo history: parcels shipped hours after their orders were placed, not all "now".

        A QuerySet.update on Parcel's times only, acceptable for demo data: the services wrote
        the parcels, their lines, the ledger and the orders' status; only the clock is moved back.
        """
        from orders.models import Parcel

        for pk, shipped_at in self.ship_times.items():
            Parcel.objects.filter(pk=pk).update(
                shipped_at=shipped_at, created_at=shipped_at, voided_at=self.void_times.get(pk)
            )
