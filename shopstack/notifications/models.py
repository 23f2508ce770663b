"""Notifications sent to customers and staff."""
