"""The clerk's desk: 扫码发货 (scan), 批量回填 (paste), 拣货单 (pick_list), 合并发货 (merge).

Each module reads and decides what its page means; every shipment and void goes through
orders.services. views.py holds the thin admin views that OrderAdmin.get_urls wires in.
"""
