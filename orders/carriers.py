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


def match_specificity(pattern, number):
    """How specifically `pattern` matches `number` (the longest fixed prefix of a matching
    alternative), or None when it does not match. A blank pattern never counts as a guess."""
    if not pattern:
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
    """The one carrier `number` belongs to, or None when it matches none or several."""
    guesses = guess_carriers(number, carriers)
    return guesses[0] if len(guesses) == 1 else None


def describe_guess_problem(number, guesses):
    """A Chinese sentence for a number that matched none or several carriers ('' when exactly one)."""
    if not guesses:
        return f"无法从快递单号“{number}”识别快递公司，请选择快递公司。"
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
