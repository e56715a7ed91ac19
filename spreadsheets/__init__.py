"""Spreadsheets in and out: reading files (encodings, XLSX streaming, caps), formula-safe cells,
the all-or-nothing import base and its admin glue."""
