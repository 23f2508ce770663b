"""Deploy checks for the headers that keep the shop's pages safe in the browser."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning
from django.utils.csp import CSP

CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"
PERMISSIONS_POLICY_MIDDLEWARE = "shopstack.core.middleware.PermissionsPolicyMiddleware"
# Sources that let an injected script run: the policy would then stop nothing.
UNSAFE_SCRIPT_SOURCES = {CSP.UNSAFE_INLINE, CSP.UNSAFE_EVAL, "*", "data:", "http:", "https:"}


def _script_sources(policy: dict[str, Any]) -> list[str]:
    sources = policy.get("script-src", policy.get("default-src"))
    if sources is None or isinstance(sources, bool):
        return ["*"]
    return [sources] if isinstance(sources, str) else list(sources)


@register(Tags.security, deploy=True)
def check_content_security_policy(**kwargs: Any) -> list[CheckMessage]:
    policy = settings.SECURE_CSP
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE or not policy:
        return [
            CheckWarning(
                "Pages are sent without a Content-Security-Policy.",
                hint=f"Keep {CSP_MIDDLEWARE} in MIDDLEWARE and SECURE_CSP set (config/settings/base.py).",
                id="shopstack.W020",
            )
        ]
    unsafe = sorted(set(_script_sources(policy)) & UNSAFE_SCRIPT_SOURCES)
    if unsafe:
        return [
            CheckWarning(
                f"SECURE_CSP lets scripts run from {', '.join(unsafe)}: injected scripts would run.",
                hint="Serve scripts as static files; the shop's templates need no inline script or eval.",
                id="shopstack.W021",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_permissions_policy(**kwargs: Any) -> list[CheckMessage]:
    if PERMISSIONS_POLICY_MIDDLEWARE not in settings.MIDDLEWARE or not getattr(
        settings, "PERMISSIONS_POLICY", None
    ):
        return [
            CheckWarning(
                "Pages are sent without a Permissions-Policy: any script may ask for the camera, "
                "microphone or location.",
                hint=f"Keep {PERMISSIONS_POLICY_MIDDLEWARE} in MIDDLEWARE and PERMISSIONS_POLICY set.",
                id="shopstack.W022",
            )
        ]
    return []
