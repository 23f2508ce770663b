"""Stock changes: counts, reservations for checkouts, allocations for orders, shipping
and returns. None of them ever sells a unit twice.

How: every change runs in one transaction that first locks the stock rows it touches in
ascending primary key (PostgreSQL; SQLite's write transactions are serialised already),
then moves the counters with conditional UPDATEs (`... WHERE quantity >= allocated +
reserved + wanted`) whose row count is checked, so the database refuses an oversell even
if a lock were missing. Reservation and allocation rows change only while their stock row
is locked. Each change writes domain events (a specific one and `StockChanged` with the
variant ids) and refreshes the products' stock flag; `updated_at` moves only when the flag
flips, or on a stock count.

Expiry: a reservation past `expires_at` keeps its units in `Stock.reserved` until swept.
Reads add lapsed units back (see selectors); `stock_reserve`, `stock_allocate` and
`stock_set_quantity` sweep lapsed reservations of the stock they lock before deciding,
so nobody is refused because the `stock_expire_reservations` task has not run yet. The
task only tidies up (statuses, events, product flags).
"""

from shopstack.inventory.services.allocations import (
    stock_allocate,
    stock_deallocate,
    stock_return,
    stock_ship,
)
from shopstack.inventory.services.reservations import (
    stock_expire_reservations,
    stock_release,
    stock_reserve,
)
from shopstack.inventory.services.stock import (
    DEFAULT_TTL_SECONDS,
    MAX_LINE_QUANTITY,
    MAX_LINES,
    MAX_TTL_SECONDS,
    STOCK_PERMISSION,
    OutOfStock,
    stock_change_allowed,
    stock_change_check,
    stock_set_quantity,
)

__all__ = [
    "DEFAULT_TTL_SECONDS",
    "MAX_LINES",
    "MAX_LINE_QUANTITY",
    "MAX_TTL_SECONDS",
    "STOCK_PERMISSION",
    "OutOfStock",
    "stock_allocate",
    "stock_change_allowed",
    "stock_change_check",
    "stock_deallocate",
    "stock_expire_reservations",
    "stock_release",
    "stock_reserve",
    "stock_return",
    "stock_set_quantity",
    "stock_ship",
]
