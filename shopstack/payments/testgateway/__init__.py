"""The built-in test payment gateway: a small HTTP service mounted at /_testgateway/.

It stands in for a real provider so the shop is exercised over real HTTP: a hosted card
form that turns card numbers into tokens, a JSON API with idempotency keys, a 3-D Secure
style challenge page, and signed webhooks. It shares the project's database only for
its own ledger tables; the shop's code never imports it.
"""
