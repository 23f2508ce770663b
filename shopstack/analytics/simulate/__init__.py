"""Simulated browsing for the demo shop and the benchmark (docs/analytics.md, "Demo data").

The demo's orders are real; what its visitors did before ordering was never recorded. This
package makes up that browsing, consistent with the real orders, and writes it straight into
the warehouse's event files, labelled as simulated: every event id starts with `sim-`, and a
marker file (`SIMULATED.json`) names the simulated days and the generator's version.

    params      the assumptions: shares, rates and the campaign calendar
    history     the orders and catalogue the simulation starts from (columns of NumPy arrays)
    shop        the shop's real orders and catalogue as a history (reads the database)
    synthetic   a made-up history at any scale, and its order facts and dimensions
    queries     search queries from the product names, with their result counts
    plan        who visits when: converting, returning and anonymous visits, and bots
    events      a day's visits as events: pages, order, times (columns)
    table       those columns as a table of the EVENTS schema
    run         day by day: plan, events, the day files and the marker
    marker      SIMULATED.json
"""
