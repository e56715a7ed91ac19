"""Making text safe to open in Excel: formula escaping and the BOM that tells Excel "UTF-8".

django-import-export's IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is not used: it only strips a
leading "=" (so "+", "-", "@", tab and CR still start a formula) and turns every cell into text.
"""

# A cell starting with one of these is read by Excel/WPS as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
# UTF-8 byte order mark: without it Excel in China opens a UTF-8 CSV as GBK and garbles Chinese.
BOM = "\ufeff"


def escape_formula(value):
    """Prefix a text cell that Excel would evaluate with an apostrophe, so it shows as typed."""
    # (A hot path: called for every cell of a 100,000-row export.)
    if type(value) is str and value and value[0] in FORMULA_TRIGGERS:
        return "'" + value
    return value


class FormulaEscapedExportMixin:
    """For an import-export Resource: escape every exported text cell (CSV and XLSX alike)."""

    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))
