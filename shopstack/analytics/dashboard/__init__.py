"""The analytics dashboards for shop staff, in the admin (/admin/analytics/): thin views over
the report service, a page per dashboard (docs/analytics.md, "Dashboards")."""
