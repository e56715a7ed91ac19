"""Carriers and their numbers in one home: normalising a number, guessing its carrier, naming one in text."""

import re
import unicodedata

from orders.models import Carrier

# Escapes that stand for one fixed character rather than a class (\d, \w, ...).
_CLASS_ESCAPES = set("dDwWsSbBAZ")
_QUANTIFIERS = set("?*{+")


def normalize_tracking_number(number):
    """A tracking number as stored and compared, the one normaliser every path uses.

    NFKC folds full-width letters and digits (ＳＦ１２３ → SF123); any other decimal digit
    (Arabic-Indic, …) becomes its ASCII digit; blanks around it go; letters are upper case.
    """
    text = unicodedata.normalize("NFKC", str(number or "")).strip().upper()
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


def _top_level_alternatives(pattern):
    """Split a regex on the `|` that are not inside a group or a character class."""
    parts, depth, in_class, start, i = [], 0, False, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def literal_prefix_length(pattern):
    """How many characters at the start of `pattern` are fixed (`SF\\d{13}` → 2, `\\d{13}` → 0)."""
    length, i = 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern) and pattern[i + 1] not in _CLASS_ESCAPES:
            if pattern[i + 1].isdigit():  # a back-reference, not a literal
                break
            step = 2
        elif char.isalnum() or char in "-_":
            step = 1
        else:
            break
        if i + step < len(pattern) and pattern[i + step] in _QUANTIFIERS:
            break  # `A?`, `7{2}`: the character is not fixed
        length += 1
        i += step
    return length


# UPU S10 (EA123456785CN): the one public checksum among these numbers (shared/carrier-numbers.md).
S10_NUMBER = re.compile(r"[A-Z]{2}(\d{8})(\d)[A-Z]{2}")
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial):
    """The check digit of an S10 number's 8 serial digits (weights 8,6,4,2,3,5,9,7; 10 → 0, 11 → 5)."""
    check = 11 - sum(int(digit) * weight for digit, weight in zip(serial, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def check_digit_problem(number):
    """The Chinese problem with an S10-shaped number whose check digit is wrong, or ""."""
    found = S10_NUMBER.fullmatch(number)
    if found is None or int(found.group(2)) == s10_check_digit(found.group(1)):
        return ""
    return f"快递单号“{number}”的校验位不对（第 11 位应为 {s10_check_digit(found.group(1))}），请核对是否输错。"


def fits_format(carrier, number):
    """Whether `number` (normalised) has `carrier`'s format: its pattern (blank = any number, for a
    carrier the clerk names) and, for an S10 number, a valid check digit."""
    pattern = carrier.tracking_number_pattern
    if not pattern:
        return True
    try:
        matched = re.fullmatch(pattern, number, re.ASCII) is not None
    except re.error:  # a broken pattern saved before validation existed accepts nothing
        return False
    return matched and not check_digit_problem(number)


def format_problem(carrier, number):
    """The Chinese problem with shipping `number` with `carrier`, saying what its numbers look like; "" if it fits."""
    if fits_format(carrier, number):
        return ""
    wrong_digit = check_digit_problem(number)
    if wrong_digit:
        return wrong_digit
    hint = f"{carrier.tracking_number_hint.rstrip('。')}。" if carrier.tracking_number_hint else ""
    return f"快递单号“{number}”不符合{carrier.name}的单号格式。{hint}请核对后重新输入。"


def match_specificity(pattern, number):
    """How specifically `pattern` matches `number` (the longest fixed prefix of a matching
    alternative), or None when it does not match. A blank pattern never counts as a guess,
    nor does an S10 number with a wrong check digit."""
    if not pattern or check_digit_problem(number):
        return None
    try:
        if re.fullmatch(pattern, number, re.ASCII) is None:
            return None
        alternatives = _top_level_alternatives(pattern)
        return max(
            literal_prefix_length(alt)
            for alt in alternatives
            if len(alternatives) == 1 or re.fullmatch(alt, number, re.ASCII)
        )
    except re.error:  # a broken pattern saved before validation existed: it guesses nothing
        return None


def guess_carriers(number, carriers=None):
    """The active carriers whose number format matches `number`, best first.

    Best = the longest fixed prefix (`SF` + 13 digits beats a bare 13 digits), then the
    carriers' own order. Carriers with a blank pattern are never guessed. Pass `carriers`
    (e.g. a list read once per batch) to avoid a query per number.
    """
    number = normalize_tracking_number(number)
    if not number:
        return []
    if carriers is None:
        carriers = Carrier.objects.filter(is_active=True)
    scored = []
    for position, carrier in enumerate(carriers):
        if not carrier.is_active:
            continue
        score = match_specificity(carrier.tracking_number_pattern, number)
        if score is not None:
            scored.append((-score, carrier.sort_order, position, carrier))
    return [carrier for *_key, carrier in sorted(scored, key=lambda row: row[:3])]


def guess_carrier(number, carriers=None):
    """The one carrier `number` belongs to, or None when it matches none or several: a number
    that fits several carriers is never given to one of them silently (the clerk chooses)."""
    guesses = guess_carriers(number, carriers)
    return guesses[0] if len(guesses) == 1 else None


def describe_guess_problem(number, guesses):
    """A Chinese sentence for a number that matched none or several carriers ('' when exactly one)."""
    if not guesses:
        return check_digit_problem(number) or f"无法从快递单号“{number}”识别快递公司，请选择快递公司。"
    if len(guesses) > 1:
        names = "、".join(carrier.name for carrier in guesses)
        return f"快递单号“{number}”可能属于：{names}，请选择快递公司。"
    return ""


# What people leave off or add to a carrier's name: 顺丰 for 顺丰速运, 中通 for 中通快递.
CARRIER_NAME_SUFFIXES = ("速运", "速递", "快递", "快运", "物流", "快件", "公司")


def _carrier_key(text):
    return re.sub(r"[\s()（）]", "", str(text or "")).upper()


def _short_name(name):
    key = _carrier_key(name)
    for suffix in CARRIER_NAME_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            return key[: -len(suffix)]
    return key


class CarrierDirectory:
    """All carriers, read once, found by code or name as clerks and couriers' files write them.

    顺丰速运, 顺丰 and SF (any case, with or without spaces) all find the same carrier. A name
    that could mean two carriers finds none, so a file never ships with a guessed carrier.
    """

    def __init__(self, carriers=None):
        self.carriers = list(Carrier.objects.all() if carriers is None else carriers)
        found = {}
        for carrier in self.carriers:
            for key in {_carrier_key(carrier.code), _carrier_key(carrier.name), _short_name(carrier.name)}:
                found.setdefault(key, set()).add(carrier)
        self._by_key = {key: matches.pop() for key, matches in found.items() if len(matches) == 1}

    def find(self, text):
        """The carrier `text` names, or None."""
        key = _carrier_key(text)
        return self._by_key.get(key) or self._by_key.get(_short_name(key))

    def names(self):
        """The active carriers as a clerk would recognise them, for help texts."""
        return "、".join(f"{c.name}（{c.code}）" for c in self.carriers if c.is_active)
