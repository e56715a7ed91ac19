"""批量回填: paste back what a courier's batch tool or a spreadsheet gives (order number +
tracking number per line, any layout), preview every line, then ship them all or none.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from orders import services
from orders.carriers import guess_carriers, normalize_tracking_number
from orders.forms import tracking_number_clashes
from orders.models import Carrier, Order

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

    @property
    def ok(self):
        return not self.problems

    @property
    def ships(self):
        return self.ok and not self.header and self.duplicate_of is None and self.order is not None


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


def _find_carrier_cell(cells, carriers):
    by_name = {}
    for carrier in carriers:
        by_name[carrier.name] = carrier
        by_name[carrier.code.upper()] = carrier
        # 顺丰速运 is also written 顺丰; 中通快递 中通.
        by_name.setdefault(re.sub(r"(速运|速递|快递|物流|速递)$", "", carrier.name), carrier)
    for cell in cells:
        carrier = by_name.get(cell) or by_name.get(cell.upper())
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
        named_carrier, carrier_cell = _find_carrier_cell(others, carriers)
        numbers = [normalize_tracking_number(cell) for cell in others if cell != carrier_cell]
        numbers = [number for number in numbers if _NUMBER_LIKE.fullmatch(number)]
        if named_carrier is not None:
            accepted = [n for n in numbers if named_carrier.accepts(n) and (n[0].isalpha() or len(n) >= 8)]
            if accepted:
                line.carrier, line.tracking_number = named_carrier, accepted[0]
            else:
                line.problems.append(f"没有找到符合{named_carrier.name}单号格式的快递单号。")
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
    return lines


def preview_paste(text):
    """Parse `text` and check every line against the orders as they are now (read only)."""
    candidates = candidate_order_numbers(text)
    orders = {o.order_no: o for o in Order.objects.select_related("item", "carrier").filter(order_no__in=candidates)}
    carriers = list(Carrier.objects.filter(is_active=True))
    lines = parse_pasted_text(text, set(orders), carriers)
    live = Order.live_orders_by_tracking_number(line.tracking_number for line in lines if line.tracking_number)
    shipping = []
    for line in lines:
        if not line.ok or line.header or line.duplicate_of:
            continue
        order = line.order = orders[line.order_no]
        if order.status == Order.Status.SHIPPED:
            if order.tracking_number == line.tracking_number and order.carrier_id == line.carrier.pk:
                line.notes.append("已发货（单号相同），跳过")
                line.order = None
            else:
                line.problems.append(
                    f"订单 {order.order_no} 已用 {order.carrier} {order.tracking_number} 发货；"
                    "如需更正，请先在订单页撤销发货。"
                )
            continue
        if order.status == Order.Status.CANCELLED:
            line.problems.append(f"订单 {order.order_no} 已取消，不能发货。")
            continue
        if not line.carrier.accepts(line.tracking_number):
            line.problems.append(f"快递单号“{line.tracking_number}”不符合{line.carrier.name}的单号格式。")
            continue
        order.tracking_number = line.tracking_number  # in memory only: the preview never saves
        try:
            order.check_tracking_number_unused(live)
        except ValidationError as exc:
            line.problems.extend(exc.messages)
            continue
        if order.consolidated_with:
            line.notes.append(f"合并发货：与订单 {'、'.join(order.consolidated_with)} 同一收货人")
        shipping.append(line)
    by_order = {line.order_no: line for line in shipping}
    planned = [line.order for line in shipping]
    for order, message in services.stock_shortfalls(planned):
        by_order[order.order_no].problems.append(message)
    for order, message in tracking_number_clashes(planned):
        by_order[order.order_no].problems.append(message)
    for line in shipping:
        if line.ok and not any(note.startswith("合并发货") for note in line.notes):
            sharing = [o.order_no for o in planned if o.tracking_number == line.tracking_number and o is not line.order]
            if sharing:
                line.notes.append(f"合并发货：与本批订单 {'、'.join(sharing)} 同一收货人")
    return lines


def apply_paste(text, *, user):
    """Re-check and ship every line with services.ship_orders: all of them, or none.

    Returns (lines, shipped_count). When any line has a problem nothing is written and
    shipped_count is 0; the problems are on the lines.
    """
    lines = preview_paste(text)
    if any(not line.ok for line in lines):
        return lines, 0
    to_ship = [line for line in lines if line.ships]
    if not to_ship:
        return lines, 0
    # The rows as stored, not the preview's copies (they hold the planned numbers in memory).
    stored = Order.objects.select_related("item", "carrier").in_bulk([line.order.pk for line in to_ship])
    try:
        services.ship_orders(
            [(stored.get(line.order.pk, line.order), line.carrier, line.tracking_number) for line in to_ship],
            user=user,
        )
    except (ValidationError, services.InsufficientStock) as exc:
        # Someone changed an order between the preview and now: nothing was shipped.
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        _line_concerned(to_ship, exc).problems.extend(messages)
        return lines, 0
    return lines, len(to_ship)


def _line_concerned(lines, exc):
    """The line a refusal of ship_orders is about: its order is named, or its item ran short."""
    for line in lines:
        if isinstance(exc, services.InsufficientStock):
            if line.order.item_id == exc.item.pk:
                return line
        elif any(message.startswith((f"订单 {line.order_no}：", f"订单 {line.order_no} ")) for message in exc.messages):
            return line
    return lines[0]
