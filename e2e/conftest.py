"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright's own browser download is never used (it cannot run on a closed network);
`scripts/browser-deps`, run by `make test`, installs Debian's chromium.

Pages run under the shop's real Content-Security-Policy, and every browser context a test
opens reports the policy's violations: a test that saw one fails (`no_csp_violations`), so
each browser test also proves its pages work under the policy.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
# are ordinary blocking calls, so Django's guard against async contexts does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
# Flags for a sandboxed, offline machine: no background calls home that would be refused.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

VIEWPORTS = {"phone": (375, 812), "tablet": (768, 1024), "desktop": (1280, 800)}


# Runs in every frame before the page's own scripts (Playwright injects it past the CSP).
CSP_WATCH_SCRIPT = """
document.addEventListener("securitypolicyviolation", (event) => {
  const element = event.target && event.target.outerHTML ? event.target.outerHTML.slice(0, 160) : "";
  window.reportCspViolation(
    `${event.effectiveDirective} refused ${event.blockedURI} ` +
    `on ${event.documentURI} (${event.sourceFile || "the page"}, line ${event.lineNumber}) ${element}`
  ).then(() => { window.cspViolationsReported = (window.cspViolationsReported || 0) + 1; });
});
"""


class CspWatchingBrowser:
    """The Playwright browser, whose new contexts record Content-Security-Policy violations."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.csp_violations: list[str] = []

    def new_context(self, **options: Any) -> Any:
        context = self._browser.new_context(**options)
        # Without JavaScript nothing can watch; such pages run no script to refuse anyway.
        if options.get("java_script_enabled", True):
            context.expose_function("reportCspViolation", self._record)
            context.add_init_script(CSP_WATCH_SCRIPT)
        return context

    def _record(self, violation: str) -> None:
        self.csp_violations.append(violation)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


def open_page(browser: Any, viewport: str, *, timeout_ms: int = 30_000) -> tuple[Any, Any, list[str]]:
    """A new browser context at one of VIEWPORTS' sizes, its page, and the list the page's
    uncaught script errors are added to (tests assert it stays empty). Close the context."""
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(timeout_ms)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/browser-deps (make test does) to install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield CspWatchingBrowser(browser)
        browser.close()


@pytest.fixture(autouse=True)
def no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a browser test in which any page broke the Content-Security-Policy."""
    if "browser" not in request.fixturenames:
        yield
        return
    browser = request.getfixturevalue("browser")
    browser.csp_violations.clear()
    yield
    assert browser.csp_violations == [], "Content-Security-Policy violations: " + "; ".join(
        browser.csp_violations
    )


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def media_on_disk(settings, tmp_path):
    """The live server serves media from MEDIA_ROOT, so images must be real files."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
