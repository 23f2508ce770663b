from django.conf import settings
from django.http import HttpRequest


def analytics(request: HttpRequest) -> dict[str, object]:
    # Settings only: pages are cached for every visitor alike (consent.py takes the
    # banner out again for visitors who have answered).
    return {
        "analytics_tracking": settings.ANALYTICS_TRACKING,
        "analytics_consent_banner": settings.ANALYTICS_TRACKING and settings.ANALYTICS_CONSENT_BANNER,
    }
