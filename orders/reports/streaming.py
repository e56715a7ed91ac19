"""CSV for Excel as text chunks: BOM, Chinese headers, every cell formula-escaped (DESIGN.md rule 7)."""

import csv

from spreadsheets.cells import BOM, escape_formula


class _LineBuffer:
    """A write-only file for csv.writer whose text is collected between yields."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def take(self):
        text, self.parts = "".join(self.parts), []
        return text


def iter_csv(rows, headers, chunk_rows=500):
    """`rows` (lists of cells) as CSV text chunks of `chunk_rows` rows, the first with the BOM and headers."""
    buffer = _LineBuffer()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    yield BOM + buffer.take()
    pending = 0
    for row in rows:
        writer.writerow([escape_formula(cell) for cell in row])
        pending += 1
        if pending == chunk_rows:
            yield buffer.take()
            pending = 0
    if pending:
        yield buffer.take()
