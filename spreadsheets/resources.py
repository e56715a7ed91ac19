"""What every import resource of the project shares: all or nothing, Chinese reports, line numbers.

Mixed into django-import-export's ModelResource; the concrete resources live in each app's
resources.py and add their own row rules in `import_instance` and batch writes in `write_rows`.
"""

import datetime
import re
import unicodedata
import zoneinfo

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export import widgets
from import_export.fields import Field
from import_export.results import RowResult
from openpyxl.utils import get_column_letter

from spreadsheets.formats import MAX_IMPORT_ROWS, ImportFileError, cell_text, too_many_rows

NEW, UPDATE, SKIP = RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_SKIP
INVALID, ERROR = RowResult.IMPORT_TYPE_INVALID, RowResult.IMPORT_TYPE_ERROR


class CellWidget(widgets.CharWidget):
    """A cell as trimmed text (Excel's 12.0 becomes 12)."""

    def clean(self, value, row=None, **kwargs):
        return cell_text(value)


def text_column(attribute, column_name):
    return Field(attribute=attribute, column_name=column_name, widget=CellWidget())


# Full-width digits (what a Chinese input method types) count as digits; nothing else does. Not
# NFKC as a whole: it folds "²" and "①" into digits too, so "5²" would be read as 52.
FULL_WIDTH_DIGITS = {ord("０") + n: str(n) for n in range(10)}


def whole_number(text, label, *, minimum=0, maximum):
    """A cell as a whole number from minimum to maximum; ValidationError with a Chinese message if not."""
    digits = text.translate(FULL_WIDTH_DIGITS)
    wanted = "应为正整数" if minimum > 0 else "应为 0 或正整数"
    if not (digits.isascii() and digits.isdigit()):
        raise ValidationError(f"{label}“{text}”无效，{wanted}。")
    # By length first: int() of a cell with thousands of digits is slow, and refused in English.
    if len(digits.lstrip("0")) > len(str(maximum)) or int(digits) > maximum:
        raise ValidationError(f"{label}“{text}”太大，最多 {maximum}。")
    if int(digits) < minimum:
        raise ValidationError(f"{label}“{text}”无效，{wanted}。")
    return int(digits)


# What shop platforms and Excel write for a time: 2025-01-02 13:45:00, 2025/1/2 13:45, 2025年1月2日,
# 20250102134500, ISO 8601 with T and an offset; a date alone means midnight. Times without an
# offset are Beijing time (DESIGN.md rule 6).
DATE_TIME_FORMATS = [
    f"{date}{time}"
    for date in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
    for time in (" %H:%M:%S", " %H:%M", "%H:%M:%S", "%H:%M", "")
] + ["%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d"]
# Excel keeps a date as days since 1899-12-30; a CSV saved from a date cell without its format has that number.
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
EXCEL_SERIAL = re.compile(r"(\d{5})(\.\d+)?")
EARLIEST = datetime.datetime(2000, 1, 1)
LATEST = datetime.datetime(2100, 12, 31, 23, 59, 59)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def date_time(text, label, *, now=None, future=False):
    """A cell as an aware datetime (naive times are Asia/Shanghai); ValidationError in Chinese if not one.

    A time in the future is refused unless `future` (a deadline such as 承诺发货时间 may be ahead).
    """
    cleaned = unicodedata.normalize("NFKC", text).strip().replace("T", " ", 1).replace("  ", " ")
    value = None
    serial = EXCEL_SERIAL.fullmatch(cleaned)
    if serial:
        value = EXCEL_EPOCH + datetime.timedelta(days=float(cleaned))
        value = value.replace(microsecond=0) + datetime.timedelta(seconds=round(value.microsecond / 1e6))
    for pattern in () if value else DATE_TIME_FORMATS:
        try:
            value = datetime.datetime.strptime(cleaned, pattern)
            break
        except ValueError:
            continue
    if value is None:
        try:  # ISO 8601 with an offset or fractions (Excel cells come as 2025-01-02 13:45:00)
            value = datetime.datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                f"{label}“{text}”无法识别。请写成 2025-01-02 13:45、2025/1/2 13:45:00 或 2025年1月2日 13:45"
                "（北京时间），或使用 Excel 的日期单元格。"
            ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    now = now or datetime.datetime.now(datetime.UTC)
    if not future and value > now + datetime.timedelta(days=1):
        raise ValidationError(f"{label}“{text}”晚于现在，请核对（时间按北京时间）。")
    if value < EARLIEST.replace(tzinfo=SHANGHAI):
        raise ValidationError(f"{label}“{text}”早于 2000 年，请核对。")
    if value > LATEST.replace(tzinfo=SHANGHAI):  # also keeps year 9999 from overflowing in UTC
        raise ValidationError(f"{label}“{text}”晚于 2100 年，请核对。")
    return value.astimezone(datetime.UTC)


def repeated_columns(given, columns):
    """The Chinese problem with a header row naming one column twice (after aliases), or ""."""
    positions = {}
    for index, column in enumerate(columns):
        if column:
            positions.setdefault(column, []).append(index)
    problems = []
    for column, where in positions.items():
        if len(where) < 2:
            continue
        letters = "、".join(get_column_letter(index + 1) for index in where)
        spelled = {given[index] for index in where}
        as_given = f"，文件中写作 {'、'.join(given[index] for index in where)}" if len(spelled) > 1 else ""
        problems.append(f"列“{column}”出现了 {len(where)} 次（第 {letters} 列{as_given}）")
    if not problems:
        return ""
    return "；".join(problems) + "。每列只能出现一次，请删除多余的列后重新导入。"


def labelled_messages(exc, model=None):
    """A ValidationError's messages, each field error prefixed with the field's Chinese name."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    messages = []
    for field, errors in exc.message_dict.items():
        label = ""
        if model is not None and field != NON_FIELD_ERRORS:
            try:
                label = str(model._meta.get_field(field).verbose_name)
            except Exception:  # not a model field: the message stands alone
                label = ""
        for message in errors:
            messages.append(f"{label}：{message}" if label and not message.startswith(label) else message)
    return messages


class AllOrNothingImport:
    """Import rules shared by every spreadsheet import.

    - All or nothing: the import runs in one transaction that is rolled back if any row has a
      problem, whoever calls import_data (admin preview, admin confirm, management command).
    - Missing columns are reported by name before any row is read.
    - Rows are checked one by one (`import_instance`) and written in batches (`write_rows`,
      with Meta.use_bulk), so a large file costs a few queries per batch, not per row.
    - Each row result carries `line` (the spreadsheet's row number), `outcome` (what happens,
      in Chinese), `plan` (the details) and `problems` (Chinese messages).
    - `key_column` may appear once per file; every repeat is a problem on each of its lines.
    - A resource with `allows_partial` may be run with `only_good_rows=True` (the admin's
      "只…没有问题的 N 行"): rows with problems are left out (`left_rows`: line, cells, problems)
      and the others are written, still in one transaction; `expected_lines` are the lines the
      preview offered, and the resource refuses the file when its good rows are not those now.
    """

    # The model permission an admin user needs to run this import ("change" or "add").
    admin_permission = "change"
    key_column = None
    key_noun = "行"
    column_aliases = {}
    # import type -> (label in the preview, label once applied)
    outcome_labels = {}
    allows_partial = False
    # Whether the preview (dry run) writes the rows and rolls them back, to show what confirm will
    # do (a write that can fail on what other rows did: stock, a number taken by the batch). A
    # resource whose writes cannot fail once its rows are planned sets False: its preview costs half.
    writes_in_preview = True
    # Whether one upload may hold several files (spreadsheets.uploads: the Dataset's `files`).
    accepts_several_files = False
    # The button that writes only the good rows, and the outcome of a row left out.
    partial_label = "只导入没有问题的 {count} 行"
    left_label = ("有问题，不导入", "有问题，未导入")

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        self.dry_run = dry_run
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=True,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=True,
            **kwargs,
        )

    def required_columns(self):
        return [field.column_name for field in self.get_import_fields()]

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        self.only_good = self.allows_partial and bool(kwargs.get("only_good_rows"))
        self.expected_lines = kwargs.get("expected_lines") if self.only_good else None
        self.left_rows = []  # (line, cells, problems) of the rows left out in only_good mode
        self.refuse_partial = False  # set by a resource whose good rows changed since the preview
        self.row_left = []
        self.file_name = kwargs.get("file_name") or ""
        self.lines = getattr(dataset, "line_numbers", None) or [i + 2 for i in range(len(dataset))]
        if dataset.headers:
            given = [cell_text(h) for h in dataset.headers]
            dataset.headers = [self.column_aliases.get(h, h) for h in given]
            repeated = repeated_columns(given, dataset.headers)
            if repeated:  # a row would otherwise keep only the last of the two cells, silently
                dataset.wipe()
                raise ImportFileError(repeated)
        missing = [column for column in self.required_columns() if column not in (dataset.headers or [])]
        if missing:
            expected = "、".join(self.required_columns())
            dataset.wipe()  # no row is read when the columns are wrong
            raise ImportFileError(f"文件缺少列：{'、'.join(missing)}。第一行应为表头，包含：{expected}。")
        if len(dataset) > MAX_IMPORT_ROWS:  # a Dataset built elsewhere than spreadsheets.formats
            dataset.wipe()
            raise too_many_rows()
        self.key_lines = {}
        if self.key_column:
            for index, value in enumerate(dataset[self.key_column]):
                key = cell_text(value)
                if key:
                    self.key_lines.setdefault(key, []).append(self.lines[index])

    def repeated_key_problem(self, key):
        lines = self.key_lines.get(key, [])
        if len(lines) < 2:
            return None
        where = "、".join(str(line) for line in lines)
        return (
            f"{self.key_column} {key} 在文件中出现了 {len(lines)} 次（第 {where} 行），"
            f"每个{self.key_noun}只能出现一次。"
        )

    def import_row(self, row, instance_loader, **kwargs):
        self.row_plan = ""
        self.row_skip = False
        self.row_left = []
        row_result = super().import_row(row, instance_loader, **kwargs)
        row_result.line = self.lines[kwargs["row_number"] - 1]
        row_result.cells = [cell_text(row.get(column)) for column in self.required_columns()]
        row_result.plan = self.row_plan
        row_result.left = bool(self.row_left)
        if row_result.validation_error is not None:
            row_result.problems = labelled_messages(row_result.validation_error)
        else:
            row_result.problems = [f"处理本行时出错：{error.error}" for error in row_result.errors]
        row_result.outcome = self.outcome_label(row_result.import_type)
        if row_result.left:
            # only_good mode: the row's problems are reported, and the row is left out, not refused.
            row_result.problems = list(self.row_left)
            row_result.outcome = self.left_label[0] if self.dry_run else self.left_label[1]
            self.left_rows.append((row_result.line, row_result.cells, row_result.problems))
        return row_result

    def leave_row(self, problems):
        """In only_good mode, called by import_instance for a row with `problems`: skip it, report them.

        Returns False when the row must refuse the file instead (the default, all or nothing)."""
        if not self.only_good or self.refuse_partial:
            return False
        self.row_left, self.row_skip = list(problems), True
        return True

    def write_rows(self, instances):
        """Write a batch of checked rows (Meta.use_bulk hands them over 1,000 at a time).

        Raise ValidationError for what changed since the rows were checked; nothing is written then.
        """
        raise NotImplementedError

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self._write_batch(self.create_instances, result, raise_errors)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        self._write_batch(self.update_instances, result, raise_errors)

    def _write_batch(self, pending, result, raise_errors):
        instances = list(pending)
        pending.clear()
        if not instances or result.has_validation_errors():
            return  # a file with a problem changes nothing: no point writing rows only to roll them back
        if self.dry_run and not self.writes_in_preview:
            return
        try:
            self.write_rows(instances)  # the preview writes too, then rolls back: it shows what confirm will do
        except ValidationError as exc:
            # Only what changed after the rows were checked gets here (another clerk was quicker).
            for message in exc.messages:
                self.handle_import_error(result, ImportFileError(message), raise_errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        return self.row_skip and not import_validation_errors

    def outcome_label(self, import_type):
        if import_type in (INVALID, ERROR):
            return "有问题"
        preview, applied = self.outcome_labels.get(import_type, (import_type, import_type))
        return preview if self.dry_run else applied

    def after_import(self, dataset, result, **kwargs):
        result.problem_lines = [str(error.error) for error in result.base_errors]
        result.problem_lines += [
            f"第 {row.line} 行：{problem}"
            for row in result.rows
            if not getattr(row, "left", False)
            for problem in getattr(row, "problems", [])
        ]
        result.left_rows = list(self.left_rows)
        # The lines "只…没有问题的 N 行" would write (a resource with allows_partial sets good_lines).
        result.partial_lines = list(getattr(self, "good_lines", []))
        result.left_headers = ["原行号", *self.required_columns(), "问题"]
        result.summary = self.summarize(result)

    def summarize(self, result):
        """One Chinese sentence: how many rows do what, and how many problems stop the import."""
        if result.problem_lines:
            return f"发现 {len(result.problem_lines)} 个问题，未导入任何数据。请改正文件后重新导入。"
        left = len(result.left_rows)
        counts = [
            f"{self.outcome_label(kind)} {result.totals[kind] - (left if kind == SKIP else 0)} 行"
            for kind in (NEW, UPDATE, SKIP)
            if result.totals[kind] - (left if kind == SKIP else 0)
        ]
        if left:
            counts.append(f"{self.left_label[0] if self.dry_run else self.left_label[1]} {left} 行")
        return "，".join(counts) + "。" if counts else "没有需要处理的行。"
