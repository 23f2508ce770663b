"""Pricing and promotions: tax classes and rates, vouchers."""
