"""Spreadsheets in and out: reading files (encodings, XLSX streaming, caps), writing CSV/XLSX for
Excel (formula-safe cells, identifiers as text, date cells), the all-or-nothing import base and its admin glue."""
