"""The shop's metrics, each defined once as Ibis expressions over the warehouse's tables
(engines/base.py), for the dashboards and /api/v1/analytics alike."""
