"""/api/v1/analytics: the back office's reports for staff (endpoints.py)."""
