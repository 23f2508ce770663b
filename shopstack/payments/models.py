"""Payments and their transactions with outside gateways."""
