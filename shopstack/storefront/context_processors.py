from django.conf import settings
from django.http import HttpRequest

from shopstack.catalog.selectors import category_tree


def shop(request: HttpRequest) -> dict[str, object]:
    # The tree is passed uncalled: templates call it only if they show the navigation,
    # so pages that do not (and plain-text responses) never pay for the query.
    return {"shop_name": settings.SHOP_NAME, "nav_categories": category_tree}
