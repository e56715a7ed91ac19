"""Receivers in free text: a buyer's chat message split into name, phone, 省/市/区 and products.

`parse_receiver_message` reads a message the way clerks get them (with labels or none, any order,
full-width digits and colons, line breaks, commas); `split_region` splits a full address line into
省/市/区 and the street with jionlp (docs/ADDRESSES.md says why that library, and the shape we
store). Nothing here touches the database: matching products to items is a selector's job
(inventory.selectors.match_items).
"""

import contextlib
import io
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache

# Longest first: the alternation takes the first label that fits (详细地址 before 地址).
LABELS = {
    "name": ["收件人姓名", "收货人姓名", "收件人", "收货人", "联系人", "姓名", "名字"],
    "phone": ["联系电话", "手机号码", "电话号码", "联系方式", "手机号", "电话", "手机"],
    "region": ["所在地区", "所在地", "省市区"],
    "address": ["收货地址", "收件地址", "详细地址", "地址"],
    "note": ["备注", "留言"],
    "products": ["购买商品", "商品", "宝贝", "产品"],
    "postcode": ["邮政编码", "邮编"],  # couriers need none: read and dropped
}
LABEL_FIELD = {label: name for name, labels in LABELS.items() for label in labels}
_LABEL_ALTERNATION = "|".join(sorted(LABEL_FIELD, key=len, reverse=True))
# A label ends with a colon, or stands at the start of a line followed by blanks ("姓名 张三").
LABEL_RE = re.compile(rf"(?:(?P<colon>{_LABEL_ALTERNATION})\s*:|^[ \t]*(?P<bare>{_LABEL_ALTERNATION})[ \t]+)", re.M)

_EXTENSION = r"(?:\s*(?:-|转|分机号?|ext\.?)\s*(?P<ext>\d{1,6}))?(?!\d)"
MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(?P<number>1[3-9]\d(?:[\s-]?\d{4}){2})(?!\d)" + _EXTENSION, re.I)
LANDLINE_RE = re.compile(r"(?<![\d-])(?P<area>0\d{2,3})[\s-]?(?P<number>[2-9]\d{6,7})(?!\d)" + _EXTENSION, re.I)

UNITS = "件个只条双套盒瓶包袋份支本张台箱斤把顶罐桶片副对"
CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
QUANTITY_RE = re.compile(
    rf"(?:[x×*]\s*(?P<times>\d+)|(?P<count>\d+)\s*[{UNITS}]|(?P<chinese>[一二两三四五六七八九十])\s*[{UNITS}])(?![a-z])",
    re.I,
)
QUANTITY_GAP = re.compile(rf"(?<=[x×*])[ \t]+(?=\d)|(?<=\d)[ \t]+(?=[{UNITS}])", re.I)
# Characters that continue an address after its first part ("文三路1号 3单元 502室", "7-2-301").
ADDRESS_WORDS = re.compile(
    r"[省市区县旗镇乡村街路道巷弄里号栋幢座室楼层园苑府城院屯庄湾港墅舍门]|单元|小区|大厦|广场|中心|公寓"
)
ROOM_NUMBER = re.compile(r"[\dA-Za-z#\-]+")
POSTCODE = re.compile(r"\d{6}")  # a six-digit word on its own (Taobao's copied address ends with one)
# Words that say nothing about the order: dropped rather than kept as a 买家留言 that holds it.
COURTESIES = {"谢谢", "谢谢啦", "谢谢了", "多谢", "麻烦了", "辛苦了", "你好", "您好", "亲", "在吗"}
NAME_RE = re.compile(r"[\u4e00-\u9fff]{2,6}|[\u4e00-\u9fff]{1,8}(?:·[\u4e00-\u9fff]{1,8})+|[A-Za-z][A-Za-z.]{1,30}")
SEPARATORS = re.compile(r"[\n,;、。!?]+")
EDGE_PUNCTUATION = " .,;:、。!?\"'()[]"

PHONE_MISSING = "没有找到手机号或固定电话，请补上收货人电话。"
ADDRESS_MISSING = "没有找到收货地址，请补上省市区和详细地址。"
NAME_MISSING = "没有找到收货人姓名，请补上。"


@dataclass
class ProductText:
    """One product as the buyer wrote it: "蓝色T恤L" × 2."""

    text: str
    quantity: int = 1


@dataclass
class ParsedMessage:
    """What a chat message says; `problems` maps a field of the order form to what is missing."""

    name: str = ""
    phone: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    address: str = ""
    products: list = field(default_factory=list)  # [ProductText]
    leftover: list = field(default_factory=list)  # words used for nothing else, in order
    note: str = ""  # the buyer's 备注, if labelled
    problems: dict = field(default_factory=dict)


def normalise(text):
    """Full-width digits, letters, colons and blanks folded to ASCII (NFKC); line ends unified;
    a quantity written apart ("x 2", "2 件") joined."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("—", "-").replace("–", "-")
    return QUANTITY_GAP.sub("", text)


_parser_lock = threading.Lock()


@cache
def _location_parser():
    # jionlp prints a banner on import; it is imported on first use so other processes never load it.
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp
    return jionlp.parse_location


@lru_cache(maxsize=2048)  # a message's words are tried as addresses more than once
def split_region(address):
    """(province, city, district, street) of a full address line; "" for what the line does not say.

    直辖市 give the city as the province (北京市, 北京市, 朝阳区); a 省直辖县级市 (湖北省仙桃市) is the
    city with no district; a district alone (西湖区…, in 杭州 and in 南昌) leaves 省/市 blank.
    """
    text = " ".join(normalise(address).split())
    if not text:
        return "", "", "", ""
    with _parser_lock:  # the parser keeps per-call state on one shared object
        found = _location_parser()(text)
    province, city, district = (found[key] or "" for key in ("province", "city", "county"))
    if province and district and not city:
        city, district = district, ""
    street = (found["detail"] or "").strip(EDGE_PUNCTUATION)
    return province, city, district, street


def find_phone(text):
    """(phone, match) of the first mobile, else landline, in `text`: "13800138000-1234", "0571-88886666"."""
    match = MOBILE_RE.search(text)
    if match:
        phone = re.sub(r"[\s-]", "", match["number"])
    else:
        match = LANDLINE_RE.search(text)
        if not match:
            return "", None
        phone = f"{match['area']}-{match['number']}"
    return (f"{phone}-{match['ext']}" if match["ext"] else phone), match


def _labelled_parts(text):
    """({field: [value, ...]}, the text outside labelled values): a value runs to the next label or line end."""
    values, outside, position = {}, [], 0
    matches = list(LABEL_RE.finditer(text))
    for index, match in enumerate(matches):
        outside.append(text[position : match.start()])
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        line_end = text.find("\n", match.end())
        if line_end != -1 and line_end < end:
            end = line_end
        label = match["colon"] or match["bare"]
        values.setdefault(LABEL_FIELD[label], []).append(text[match.end() : end].strip())
        position = end
    outside.append(text[position:])
    return values, "\n".join(outside)


def _tokens(text):
    """The words of `text`: split at line ends, commas, semicolons, 、, full stops and blanks."""
    return [word for segment in SEPARATORS.split(text) for word in segment.split() if word.strip(EDGE_PUNCTUATION)]


def _is_quantity(word):
    return QUANTITY_RE.fullmatch(word) is not None


def _continues_address(word, next_word):
    if POSTCODE.fullmatch(word):
        return False
    if QUANTITY_RE.search(word) or (next_word is not None and _is_quantity(next_word)):
        return False  # a product ("黑色帽子1个", or "蓝色T恤L" before "2件")
    return bool(ADDRESS_WORDS.search(word) or ROOM_NUMBER.fullmatch(word))


def _address_extent(words, start):
    """The index after the last word of the address that starts at words[start]."""
    end = start + 1
    while end < len(words) and _continues_address(words[end], words[end + 1] if end + 1 < len(words) else None):
        end += 1
    return end


def _find_address(words):
    """(start, end) of the words that read most like an address (most of 省/市/区 found), or None."""
    best, best_score = None, 0
    for start, word in enumerate(words):
        if QUANTITY_RE.search(word) or MOBILE_RE.search(word) or not any(split_region(word)[:3]):
            continue  # an address starts with a word that names a region
        end = _address_extent(words, start)
        province, city, district, _street = split_region(" ".join(words[start:end]))
        score = 2 * bool(province) + 2 * bool(city) + 2 * bool(district) + bool(ADDRESS_WORDS.search(word))
        if score > best_score and (province or city or district):
            best, best_score = (start, end), score
    return best


def _quantity(match):
    if match["times"]:
        return int(match["times"])
    if match["count"]:
        return int(match["count"])
    return CHINESE_DIGITS[match["chinese"]]


def parse_products(words):
    """([ProductText], leftover words): each product ends with its quantity ("蓝色T恤L 2件", "帽子x1")."""
    products, pending = [], []
    for word in words:
        position = 0
        for match in QUANTITY_RE.finditer(word):
            before = word[position : match.start()].strip(EDGE_PUNCTUATION)
            text = " ".join([*pending, before] if before else pending)
            pending = []
            if text:
                products.append(ProductText(text, _quantity(match)))
            position = match.end()
        rest = word[position:].strip(EDGE_PUNCTUATION)
        if rest:
            pending.append(rest)
    return [p for p in products if p.quantity > 0], pending


def _pick_name(words, phone_index):
    """The word most like a person's name: beside the phone, else the first short Chinese one."""
    candidates = [i for i, word in enumerate(words) if NAME_RE.fullmatch(word) and not ADDRESS_WORDS.search(word)]
    if not candidates:
        return None
    if phone_index is not None:
        for i in (phone_index - 1, phone_index):  # the phone was taken out at phone_index
            if i in candidates and not (i + 1 < len(words) and _is_quantity(words[i + 1])):
                return i
    short = [i for i in candidates if len(words[i]) <= 4 and not (i + 1 < len(words) and _is_quantity(words[i + 1]))]
    return short[0] if short else None


def parse_receiver_message(text):
    """Split a buyer's message ("张三 13800138000-1234 浙江省杭州市西湖区文三路1号 蓝色T恤L 2件").

    Labels (收件人：, 电话：, 所在地区：, 详细地址：, 备注：…) are honoured in any order; without them
    the phone is found by its pattern, the address by 省/市/区, the name beside the phone and the
    products by their quantities. What is not found is named in `problems`.
    """
    parsed = ParsedMessage()
    labelled, free = _labelled_parts(normalise(text))
    parsed.note = " ".join(labelled.get("note", []))

    # The phone: a labelled one first, else the first in the message; its place splits the words.
    phone_source = " ".join(labelled.get("phone", [])) or free
    parsed.phone, match = find_phone(phone_source)
    phone_index = None
    if match is not None and phone_source is free:
        before, after = _tokens(free[: match.start()]), _tokens(free[match.end() :])
        words, phone_index = [*before, *after], len(before)
    else:
        words = _tokens(free)
        if match is not None:  # what the phone's label held besides the number
            words += _tokens(phone_source[: match.start()] + " " + phone_source[match.end() :])

    # The address: labelled (所在地区 + 详细地址) up to the first word that is a product, else found.
    address_words = _tokens(" ".join(labelled.get("region", []) + labelled.get("address", [])))
    if address_words:
        end = _address_extent(address_words, 0)
        words += address_words[end:]
        address_words = address_words[:end]
    else:
        found = _find_address(words)
        if found:
            start, end = found
            address_words = words[start:end]
            if phone_index is not None and phone_index > start:
                phone_index = max(start, phone_index - (end - start))
            words = words[:start] + words[end:]
    if address_words:
        parsed.address = " ".join(address_words)
        parsed.province, parsed.city, parsed.district, parsed.street = split_region(parsed.address)

    # The name: labelled, else the word beside the phone (or the first short Chinese one).
    name_words = _tokens(" ".join(labelled.get("name", [])))
    if name_words:
        parsed.name, words = name_words[0], [*name_words[1:], *words]
    else:
        index = _pick_name(words, phone_index)
        if index is not None:
            parsed.name = words.pop(index)

    words = [word for word in words if not POSTCODE.fullmatch(word) and word not in COURTESIES]
    parsed.products, parsed.leftover = parse_products(words + _tokens(" ".join(labelled.get("products", []))))
    for key, value, problem in (
        ("receiver_phone", parsed.phone, PHONE_MISSING),
        ("address", parsed.address, ADDRESS_MISSING),
        ("receiver_name", parsed.name, NAME_MISSING),
    ):
        if not value:
            parsed.problems[key] = problem
    return parsed
