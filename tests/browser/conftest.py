"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Nothing is downloaded: Chromium is /usr/bin/chromium (`apt-get install chromium`; .ci/run
installs it). Every page may reach the live server only; a request anywhere else is
refused and recorded, and so is every content security policy violation.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The live server listens on 127.0.0.1 (not "localhost", which may mean ::1 first).
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

# Recorded in every page before its own scripts run.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => window.cspViolations.push(
  `${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
  + ` at ${event.sourceFile}:${event.lineNumber}`
));
"""


@pytest.fixture(scope="session", autouse=True)
def _live_server_static_files_without_collectstatic():
    # As tests/conftest.py does for each test, but before the session's live server builds
    # its handler (else WhiteNoise warns that there is no collectstatic folder).
    from django.test import override_settings

    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        yield


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run should have installed Debian's chromium")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread, and Django then
    # refuses database access from it (SynchronousOnlyOperation) although nothing here is
    # async: the tests' own ORM calls run between Playwright calls, never inside the loop.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright = sync_playwright().start()
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        playwright.stop()


@dataclass
class Visit:
    """A browser tab on the live server, with what went wrong in it."""

    page: object
    base_url: str
    outside_requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def open(self, path: str):
        """Go to `path`; the page must come with the site's content security policy."""
        response = self.page.goto(self.base_url + path)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, f"{path} came without the policy: {policy!r}"
        return response

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.cspViolations")


@pytest.fixture
def open_tab(browser, live_server):
    """Opens tabs on the live server, each in a browser context of its own: a width, with or
    without JavaScript."""
    contexts = []

    def open_(*, width=1280, height=900, javascript=True) -> Visit:
        options = {"viewport": {"width": width, "height": height}}
        if not javascript:
            options["java_script_enabled"] = False
        context = browser.new_context(**options)
        contexts.append(context)
        context.add_init_script(RECORD_VIOLATIONS)
        tab = Visit(page=context.new_page(), base_url=live_server.url)

        def only_the_live_server(route):
            if route.request.url.startswith(live_server.url + "/"):
                route.continue_()
            else:
                tab.outside_requests.append(route.request.url)
                route.abort()

        context.route("**/*", only_the_live_server)
        tab.page.on("pageerror", lambda error: tab.page_errors.append(str(error)))
        return tab

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def visit(open_tab):
    return open_tab()
