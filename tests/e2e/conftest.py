import pytest
from playwright.sync_api import sync_playwright

from support.servers import ROOT

ARTIFACTS = ROOT / "build" / "test-artifacts"
# Debian's Chromium, never a downloaded browser; the flags keep it off the network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, ui_server):
    context = browser.new_context(viewport={"width": 1000, "height": 1100})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Console errors include CSP violations. Chromium also logs "Failed to load resource" for any
    # 4xx; the page itself may answer 422 (a refused text), so statuses are judged per resource:
    # only the page (a document) may be a 4xx, never its CSS, JS, images or icons.
    page.on("console", lambda message: message.type == "error"
            and not message.text.startswith("Failed to load resource")
            and errors.append(message.text))
    page.on("response", lambda response: response.status >= 400
            and not (response.request.resource_type == "document" and response.status < 500)
            and errors.append(f"{response.status} for {response.request.resource_type} {response.url}"))
    page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url} {request.failure}"))
    page.goto(ui_server.url)
    yield page
    context.close()
    assert errors == [], f"browser errors (CSP violations show up here): {errors}"
