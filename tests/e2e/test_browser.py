"""A person in a real browser (Debian's Chromium driven by Playwright) against the real stack."""

from e2e.conftest import ARTIFACTS


def check(page, text):
    page.fill("#text", text)
    page.click("#submit")
    page.wait_for_selector("#result, .error")


def test_toxic_sentence_shows_toxic_verdict_and_six_bars(page):
    check(page, "Shut up, you pathetic moron. Nobody wants your garbage here.")
    verdict = page.locator("#verdict")
    assert verdict.locator(".badge").inner_text() == "Toxic"
    assert page.locator("table.scores meter").count() == 6
    labels = page.locator("table.scores tbody th").all_inner_texts()
    assert [label.lower() for label in labels] == ["toxic", "severe toxic", "obscene", "threat",
                                                   "insult", "identity hate"]
    assert page.locator("#demo-banner").is_visible()
    assert "ms" in page.locator("#timing").inner_text()
    assert page.input_value("#text").startswith("Shut up")  # the text stays in the box
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "result-page.png"), full_page=True)


def test_benign_sentence_shows_not_toxic(page):
    check(page, "Thanks for the recipe, the cake turned out great.")
    assert page.locator("#verdict .badge").inner_text() == "Not toxic"


def test_empty_submit_shows_a_helpful_message(page):
    check(page, "   ")
    alert = page.locator("[role=alert]")
    assert "empty" in alert.inner_text().lower()
    assert page.locator("#result").count() == 0


def test_character_counter_and_keyboard_submit(page):
    page.fill("#text", "You idiot")
    assert page.locator("#char-count").inner_text().startswith("9 / 5,000")
    page.press("#text", "Control+Enter")
    page.wait_for_selector("#result")
    assert page.locator("#verdict .badge").inner_text() == "Toxic"
