"""Platform order exports (淘宝/天猫, 拼多多, 抖店, 京东, 有赞, 微信小店, 1688) read as our order import's rows.

- layouts: the exports as declarative tables (headers, synonyms, which file is which).
- recognise: which export a file is, and Excel's text tricks undone.
- rows: one or two files normalised into our columns, or refused naming what is missing.
- statuses: what an order status or after-sales cell says about shipping.
"""
