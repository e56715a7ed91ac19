"""批量回填: paste back what a courier's batch tool or a spreadsheet gives (order number +
tracking number per line, any layout), preview every line, then ship them all or none.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from orders import selectors, services
from orders.carriers import CarrierDirectory, fits_format, format_problem, guess_carriers, normalize_tracking_number
from orders.models import Carrier, Order, Parcel, ParcelLine
from orders.selectors import ambiguous_number_message, orders_by_number

MAX_LINES = 2000
# Cells are split on tabs, commas, semicolons, vertical bars and blanks (after NFKC, which turns
# full-width ，；｜ and the ideographic space into their ASCII forms). 、 is a Chinese list comma.
_SEPARATORS = re.compile(r"[\s,;|、]+")
_QUOTES = "\"'`“”‘’"
_NUMBER_LIKE = re.compile(r"[0-9A-Z-]{6,40}")
_HEADER_WORDS = ("订单", "单号", "快递", "物流", "运单", "order", "tracking", "carrier")


@dataclass
class PastedLine:
    """One non-blank pasted line and what was found in it."""

    line_no: int
    text: str
    order_no: str = ""
    tracking_number: str = ""
    carrier: Carrier | None = None
    header: bool = False
    duplicate_of: int | None = None  # the earlier line giving the same order the same number
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    order: Order | None = None
    remaining: list = field(default_factory=list)  # [(OrderLine, units)] this line would ship

    @property
    def ok(self):
        return not self.problems

    @property
    def ships(self):
        return self.ok and self.order is not None  # headers, duplicates and skips have no order

    @property
    def parcel_key(self):
        """Lines with one key go into one parcel (ship_orders groups them the same way)."""
        return (self.carrier.pk if self.carrier else None, self.tracking_number)


def normalize_text(text):
    return unicodedata.normalize("NFKC", text or "")


def split_cells(line):
    """The cells of one line: NFKC-folded, split on any separator, quotes trimmed, blanks dropped."""
    cells = (cell.strip(_QUOTES) for cell in _SEPARATORS.split(normalize_text(line).strip()))
    return [cell for cell in cells if cell]


def candidate_order_numbers(text):
    """Every cell of every line: what the caller looks up among the existing order numbers."""
    cells = {cell for line in normalize_text(text).splitlines() for cell in split_cells(line)}
    return cells | {cell.upper() for cell in cells}  # a spreadsheet may have lower-cased them


def _find_carrier_cell(cells, directory):
    for cell in cells:
        carrier = directory.find(cell)
        if carrier is not None:
            return carrier, cell
    return None, None


def _known_order_no(cell, known_order_nos):
    if cell in known_order_nos:
        return cell
    return cell.upper() if cell.upper() in known_order_nos else ""


def parse_pasted_text(text, known_order_nos, carriers):
    """Parse pasted text into PastedLine objects. Pure: no database access.

    `known_order_nos` is the set of existing order numbers among candidate_order_numbers(text);
    `carriers` the active carriers (best read once). Each line's order number is the first cell
    that is a known order number; its tracking number is the cell whose format a carrier
    recognises (or, when the line names a carrier, a cell that carrier accepts).
    """
    lines, first_by_order = [], {}
    directory = CarrierDirectory(carriers)
    for line_no, raw in enumerate(normalize_text(text).splitlines()[: MAX_LINES + 1], start=1):
        cells = split_cells(raw)
        if not cells:
            continue
        line = PastedLine(line_no=line_no, text=raw.strip())
        lines.append(line)
        if line_no > MAX_LINES:
            line.problems.append(f"一次最多回填 {MAX_LINES} 行，请分批粘贴。")
            break
        known = {cell: _known_order_no(cell, known_order_nos) for cell in cells}
        order_cells = [known[cell] for cell in cells if known[cell]]
        if not order_cells:
            if any(word in raw.lower() for word in _HEADER_WORDS):
                line.header = True
                line.notes.append("表头，已跳过")
            else:
                line.problems.append("没有找到已存在的订单号。")
            continue
        line.order_no = order_cells[0]
        others = [cell for cell in cells if not known[cell]]
        named_carrier, carrier_cell = _find_carrier_cell(others, directory)
        numbers = [normalize_tracking_number(cell) for cell in others if cell != carrier_cell]
        numbers = [number for number in numbers if _NUMBER_LIKE.fullmatch(number)]
        if named_carrier is not None:
            accepted = [n for n in numbers if fits_format(named_carrier, n) and (n[0].isalpha() or len(n) >= 8)]
            if accepted:
                line.carrier, line.tracking_number = named_carrier, accepted[0]
            elif len(numbers) == 1:  # says what this carrier's numbers look like
                line.problems.append(format_problem(named_carrier, numbers[0]))
            else:
                hint = named_carrier.tracking_number_hint.rstrip("。")
                hint = f"{hint}。" if hint else ""
                line.problems.append(f"没有找到符合{named_carrier.name}单号格式的快递单号。{hint}")
        else:
            guessed = [(number, guess_carriers(number, carriers)) for number in numbers]
            guessed = [(number, guesses) for number, guesses in guessed if guesses]
            distinct = list(dict.fromkeys(number for number, _ in guessed))
            if not distinct:
                line.problems.append("没有找到能识别快递公司的快递单号；如是韵达等单号，请在该行加上快递公司名称。")
            elif len(distinct) > 1:
                line.problems.append(f"一行中有多个快递单号：{'、'.join(distinct)}，请每行只保留一个。")
            else:
                number, guesses = guessed[0]
                line.tracking_number = number
                if len(guesses) == 1:
                    line.carrier = guesses[0]
                else:
                    names = "、".join(carrier.name for carrier in guesses)
                    line.problems.append(f"快递单号“{number}”可能属于：{names}，请在该行加上快递公司名称。")
        earlier = first_by_order.setdefault(line.order_no, line)
        if earlier is not line and line.ok:
            if (earlier.carrier, earlier.tracking_number) == (line.carrier, line.tracking_number):
                line.duplicate_of = earlier.line_no
                line.notes.append(f"与第 {earlier.line_no} 行重复，只处理一次")
            else:
                line.problems.append(
                    f"订单 {line.order_no} 在第 {earlier.line_no} 行已出现，但快递单号不同，请只保留正确的一行。"
                )
                # Neither number ships: which one is right is the clerk's call, even with 只发货没有问题的行.
                conflict = f"订单 {line.order_no} 在第 {line.line_no} 行还有一个不同的快递单号，请只保留正确的一行。"
                if earlier.ok:
                    earlier.problems.append(conflict)
    return lines


def preview_paste(text):
    """Parse `text` and check every line against the orders as they are now (read only).

    The rules are services.check_shipments', one proposed parcel per line so each problem lands on
    its line; lines of one receiver sharing a number are noted as one merged parcel (ship_orders
    makes them one). A flat number of queries whatever the number of lines.
    """
    candidates = candidate_order_numbers(text)
    found = orders_by_number(candidates)
    orders = {lst[0].order_no: lst[0] for lst in found.values() if len(lst) == 1}
    # A number of several shops is known (so the line is not "not found") but refused, naming the shops.
    ambiguous = {order.order_no: lst for lst in found.values() if len(lst) > 1 for order in lst}
    lines = parse_pasted_text(text, set(orders) | set(ambiguous), list(Carrier.objects.filter(is_active=True)))
    for line in lines:
        if line.order_no in ambiguous and line.ok:
            line.problems.append(ambiguous_number_message(line.order_no, ambiguous[line.order_no]))
    shipping = [line for line in lines if line.ok and not line.header and line.duplicate_of is None]
    for line in shipping:
        line.order = orders[line.order_no]
    shipped_with = _live_parcel_keys([line.order for line in shipping if line.order.status == Order.Status.SHIPPED])
    for line in shipping:
        if line.parcel_key in shipped_with.get(line.order.pk, ()):
            line.notes.append("已发货（单号相同），跳过")
            line.order = None  # pasting the same file twice ships nothing twice
    shipping = [line for line in shipping if line.order is not None]
    remaining = selectors.remaining_lines(line.order for line in shipping)
    for line in shipping:
        line.remaining = remaining[line.order.pk]
    review = services.check_shipments(
        services.Shipment(line.carrier, line.tracking_number, line.remaining, orders=[line.order]) for line in shipping
    )
    for line, problems, join in zip(shipping, review.problems, review.joins, strict=True):
        line.problems.extend(problems)
        if join is not None and not problems:
            line.notes.append(f"合并发货：加入订单 {'、'.join(join.order_nos)} 已发出的包裹")
    _note_merges_within_batch([line for line in shipping if line.ok])
    return lines


def _live_parcel_keys(orders):
    """{order pk: {(carrier pk, number), ...}} of the live parcels holding `orders` (one query)."""
    rows = ParcelLine.objects.filter(line__order__in=orders, parcel__status__in=Parcel.LIVE).values_list(
        "line__order_id", "parcel__carrier_id", "parcel__tracking_number"
    )
    keys = {}
    for order_pk, carrier_pk, number in rows:
        keys.setdefault(order_pk, set()).add((carrier_pk, number))
    return keys


def _note_merges_within_batch(lines):
    """Lines sharing a carrier and number go into one parcel: say so on each of them."""
    by_key = {}
    for line in lines:
        by_key.setdefault(line.parcel_key, []).append(line)
    for group in by_key.values():
        for line in group if len(group) > 1 else ():
            others = "、".join(f"{o.order_no}（第 {o.line_no} 行）" for o in group if o is not line)
            line.notes.append(f"合并发货：与订单 {others}装入同一个包裹")


def apply_paste(text, *, user, only_good=False, expected=None):
    """Re-check and ship with one services.ship_orders call (which re-checks under locks).

    By default all lines or none: when any line has a problem nothing is written. With
    `only_good` (只发货没有问题的行) the lines without problems ship and the others are left;
    `expected` are the line numbers the clerk's preview offered to ship: if the good lines are
    not exactly those now (another clerk shipped one meanwhile), nothing ships and the changed
    lines say why. Returns (lines, parcels); parcels is [] when nothing was written.
    """
    lines = preview_paste(text)
    to_ship = [line for line in lines if line.ships]
    if not to_ship or (not only_good and any(not line.ok for line in lines)):
        return lines, []
    if only_good and expected is not None and {line.line_no for line in to_ship} != set(expected):
        _note_changes_since_preview(lines, set(expected))
        return lines, []
    try:
        parcels = services.ship_orders(
            [(line.order, line.carrier, line.tracking_number) for line in to_ship], user=user
        )
    except (services.ShipmentRefused, services.InsufficientStock) as exc:
        # Someone changed an order between the preview and now: nothing was shipped.
        for message in services.error_messages(exc):
            for line in _lines_concerned(to_ship, message, exc):
                line.problems.append(message)
        return lines, []
    return lines, parcels


CHANGED_SINCE_PREVIEW = "预览之后情况有变化，本批一单也没有发。请重新预览后再确认。"


def _note_changes_since_preview(lines, expected):
    for line in lines:
        if line.line_no in expected and not line.ships:
            if line.ok:  # e.g. another clerk shipped it with this very number: skipped now
                line.problems.append(f"预览时这一行可以发货，现在：{'；'.join(line.notes) or '不再需要发货'}。")
        elif line.line_no not in expected and line.ships:
            line.problems.append("预览时这一行有问题，现在可以发货了：请重新预览，确认要发的行。")


def left_text(lines):
    """The lines that did not ship, as pasted: what stays in the text box after 只发货没有问题的行."""
    return "\n".join(line.text for line in lines if not line.ok)


def _lines_concerned(lines, message, exc):
    """The lines a refusal is about: those whose order it names first, else their number, else their item."""
    named = [line for line in lines if re.match(rf"订单 (\S+、)*{re.escape(line.order_no)}[ ：、]", message)]
    named = named or [line for line in lines if f"“{line.tracking_number}”" in message]
    if not named and isinstance(exc, services.InsufficientStock):
        named = [line for line in lines if any(ol.item_id == exc.item.pk for ol, _units in line.remaining)]
    return named or lines[:1]
