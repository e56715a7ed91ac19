"""Realistic sample data for the demo, the tests and the benchmarks."""

import colorsys
import io
import random
import string
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

# Formats matching the carriers' patterns in orders/migrations/0002_common_carriers.py.
TRACKING_FORMATS = {
    "SF": ("SF", 13),
    "ZTO": ("7", 13),
    "YTO": ("YT", 13),
    "STO": ("77", 13),
    "YD": ("43", 11),
    "JTSD": ("JT", 13),
    "JD": ("JD", 13),
    "EMS": ("11", 11),
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
