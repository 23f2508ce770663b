"""Shipping zones, methods and their rates; shipments and tracking."""
