"""Making cells safe to open in Excel: formula escaping, identifiers kept as text, the UTF-8 BOM.

django-import-export's IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is not used: it only strips a
leading "=" (so "+", "-", "@", tab and CR still start a formula) and turns every cell into text.
"""

import re
from datetime import datetime

# A cell starting with one of these is read by Excel/WPS as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
# UTF-8 byte order mark: without it Excel in China opens a UTF-8 CSV as GBK and garbles Chinese.
BOM = "\ufeff"
# Text that Excel and LibreOffice turn into a number, date or time when they open a CSV: digits
# (a 15-digit 中通 number becomes 7.3E+14, an 18-digit order number loses its last digits, 007
# becomes 7), 12E34, 1-2, 3/4, 12:30, 1,234, 50%.
READ_AS_NUMBER = re.compile(r"[0-9][0-9.,:/ eE%-]*")
# The export's time cells: Shanghai wall-clock time, which Excel and LibreOffice read as a date.
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


def escape_formula(value):
    """Prefix a text cell that Excel would evaluate with an apostrophe, so it shows as typed."""
    # (A hot path: called for every cell of a 100,000-row export.)
    if type(value) is str and value and value[0] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def reads_as_number(text):
    """Whether a spreadsheet opening a CSV would turn this text into a number, date or time."""
    return bool(text) and text[0] in "0123456789" and READ_AS_NUMBER.fullmatch(text) is not None


def csv_cell(value):
    """A cell as it goes into a CSV: formula-escaped, identifiers kept as text, times as text Excel dates.

    A text cell a spreadsheet would read as a number (a tracking number, an order number, a
    phone) gets a leading tab, so it is no longer a number to them: LibreOffice keeps it as text
    digit for digit (tests/spreadsheets/test_libreoffice.py), as Excel and WPS do by the common
    "\t" practice, and our imports strip it again. ="…" would also keep it, but is a formula
    (rule 7) and comes back as ="…" from any other program; an apostrophe shows in the cell.
    What follows the tab is digits and separators only, so it cannot start a formula. XLSX, with
    typed cells, is the download we recommend for Excel.
    """
    if type(value) is str:
        if value and value[0] in FORMULA_TRIGGERS:
            return "'" + value
        return "\t" + value if reads_as_number(value) else value
    if type(value) is datetime:
        return value.isoformat(" ", "seconds")
    return "" if value is None else value
