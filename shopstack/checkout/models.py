"""Carts and checkouts."""
