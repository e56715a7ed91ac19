"""The managers' figures: the daily shipping report (发货日报), the order export's rows, the dashboard.

days.py      Shanghai days as UTC bounds, local times (text, or naive for spreadsheet date cells)
shipping.py  the 发货日报: filters, rows per parcel line, summary per carrier, page, CSV and XLSX
exports.py   the order export's rows (a row per order line)
dashboard.py the admin index's figures
charts.py    server-side SVG geometry
"""
