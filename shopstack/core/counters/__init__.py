"""Fixed-window counters shared by every process of a shop: the store behind rate limits.

A backend family (base.py): a SQLite file of its own on the embedded tier, Redis when the
shop scales out. Chosen by settings.RATE_COUNTERS; services use `shopstack.core.limits`.
"""
