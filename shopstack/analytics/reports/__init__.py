"""The shop's reports: what each dashboard page and /api/v1/analytics shows, asked for by a
ReportQuery (query.py) and cached until the warehouse changes (cache.py). The numbers come
from the metrics (shopstack/analytics/metrics), each defined once."""
