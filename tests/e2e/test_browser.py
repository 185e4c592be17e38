"""A person in a real browser (Debian's Chromium driven by Playwright) against the real stack."""

from e2e.conftest import ARTIFACTS


def check(page, text):
    page.fill("#text", text)
    page.click("#submit")
    page.wait_for_selector("#result, .error")


def test_toxic_sentence_shows_toxic_verdict_and_six_bars(page):
    check(page, "Shut up, you pathetic moron. Nobody wants your garbage here.")
    verdict = page.locator("#verdict")
    assert verdict.locator(".badge").inner_text() == "Block"
    assert page.locator("table.scores meter").count() == 6
    labels = page.locator("table.scores tbody th").all_inner_texts()
    assert [label.lower() for label in labels] == ["toxic", "severe toxic", "obscene", "threat",
                                                   "insult", "identity hate"]
    assert page.locator("#demo-banner").is_visible()
    assert "ms" in page.locator("#timing").inner_text()
    assert page.input_value("#text").startswith("Shut up")  # the text stays in the box
    assert page.locator("table.scores tr.block").count() >= 1  # rows at the block level stand out


def test_benign_sentence_shows_not_toxic(page):
    check(page, "Thanks for the recipe, the cake turned out great.")
    assert page.locator("#verdict .badge").inner_text() == "Allow"


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
    assert page.locator("#verdict .badge").inner_text() == "Block"


LONG_POST = ("We walked along the river and talked about the garden, the weather and the new library "
             "that opens in town next spring. ") * 30 + "Honestly, you are a stupid idiot."


def test_a_long_explained_text_highlights_the_words_at_its_end(page):
    """The README's screenshot: a long text read whole, its verdict per label, the words behind it."""
    page.fill("#text", LONG_POST)
    page.check("#explain")
    page.click("#submit")
    page.wait_for_selector("#result")
    assert page.locator("#verdict .badge").inner_text() in ("Block", "Review")
    assert "overlapping parts" in page.locator(".facts").inner_text()
    insult_row = page.locator('table.scores tr[data-label="insult"]')
    assert "characters" in insult_row.locator("td.where").inner_text()
    marks = page.locator("p.explained mark")
    assert marks.count() >= 1 and marks.first.is_visible()
    strongest = page.locator("p.explained mark.w4").first.inner_text()
    assert strongest in ("stupid", "idiot")
    # The highlighted words are at the end: scroll the text box there for the picture.
    page.locator("p.explained").evaluate("box => { box.scrollTop = box.scrollHeight; }")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "result-page.png"), full_page=True)


def test_one_text_per_line_shows_a_row_per_line(page):
    page.fill("#text", "Thanks, that helped!\nYou are a worthless idiot.\nSee you tomorrow at nine.")
    page.check("#many")
    page.click("#submit")
    page.wait_for_selector("#batch")
    badges = page.locator("table.batch td.verdict .badge").all_inner_texts()
    assert len(badges) == 3 and badges[0] == "Allow" and badges[1] in ("Block", "Review")
