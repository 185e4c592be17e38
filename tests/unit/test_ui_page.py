"""The HTML page: the form round trip, escaping, CSRF and security headers."""

import pytest
from markupsafe import escape

from unit.conftest import csrf_token


def submit(ui, text, token=None, **options):
    token = token or csrf_token(ui.get("/").get_data(as_text=True))
    return ui.post("/", data={"text": text, "csrf_token": token, **{k: "y" for k, on in options.items() if on}})


def test_page_has_an_accessible_form(ui):
    page = ui.get("/").get_data(as_text=True)
    assert '<label for="text">' in page and 'id="text"' in page
    assert '<button type="submit" id="submit">Submit</button>' in page
    assert "<script src=\"/static/app.js\"" in page and "cdn" not in page.lower()


def test_submit_shows_scores_verdict_and_keeps_the_text(ui):
    reply = submit(ui, "you idiot")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert 'class="verdict block"' in page and "Block</span>" in page
    assert "because of <strong>toxic</strong>" in page
    assert page.count("<meter") == 6
    assert page.count('<tr class="block"') == 2  # toxic and insult, at 95% against a block at 85%
    assert "<td class=\"num\">85%</td>" in page  # the policy is shown beside the scores
    assert ">you idiot</textarea>" in page
    assert "fake-model v9.9" in page and "Demo model." in page
    assert "Time taken" in page


def test_benign_submit_shows_not_toxic(ui):
    page = submit(ui, "have a nice day").get_data(as_text=True)
    assert 'class="verdict allow"' in page and "Allow</span>" in page
    assert "no label reaches its review threshold" in page


def test_a_score_between_the_levels_shows_review(ui):
    page = submit(ui, "that is dumb").get_data(as_text=True)
    assert 'class="verdict review"' in page and "Review</span>" in page and page.count('<tr class="review"') == 2


def test_explain_highlights_the_words_without_inline_style(ui):
    page = submit(ui, "you <b>idiot</b> you", explain=True).get_data(as_text=True)
    assert '<h3 id="why">Why</h3>' in page and "<q>idiot</q>" in page
    # weight 2.5 is the strongest span: level 4; the text around it is escaped, not marked
    assert 'you &lt;b&gt;<mark class="w4" title="insult, toxic">idiot</mark>&lt;/b&gt; you</p>' in page
    assert "style=" not in page and "<b>" not in page


def test_one_text_per_line_scores_each_line_in_one_call(ui, fake_torchserve):
    page = submit(ui, "you idiot\n\nhave a nice day\n\u200b\nthat is dumb", many=True).get_data(as_text=True)
    assert "Results for 4 texts" in page
    assert [row.split('"')[0] for row in page.split('<tr class="')[1:]] == ["block", "allow", "failed", "review"]
    assert "no visible characters" in page
    assert fake_torchserve.predictions == 1


def test_one_text_per_line_over_the_limits_is_refused(ui, fake_torchserve):
    reply = submit(ui, "\n".join(["line"] * 65), many=True)
    assert reply.status_code == 413 and "65 texts in one call; the limit is 64" in reply.get_data(as_text=True)
    assert fake_torchserve.predictions == 0


def test_empty_submit_shows_a_helpful_message(ui):
    reply = submit(ui, "   ")
    assert reply.status_code == 422
    assert "The text is empty" in reply.get_data(as_text=True)


def test_model_server_down_is_shown_not_crashed(ui, fake_torchserve):
    fake_torchserve.mode = "status:503"
    reply = submit(ui, "hello")
    assert reply.status_code == 503 and "unavailable" in reply.get_data(as_text=True)


def test_form_without_csrf_token_is_refused(ui, fake_torchserve):
    reply = ui.post("/", data={"text": "hello"})
    assert reply.status_code == 400 and "Please submit again" in reply.get_data(as_text=True)
    assert fake_torchserve.predictions == 0


HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1 -- \"quoted\" &amp; entity",
    "caf\u00e9 na\u00efve \u4f60\u597d \U0001F600\U0001F4A9",
    "\u202eright-to-left override \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "</textarea><script>alert(1)</script>",
    "x" * 4980 + "<b>bold</b>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_escaped(ui, text):
    reply = submit(ui, text)
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert f">{escape(text)}</textarea>" in page
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>bold" not in page


def test_security_headers_on_every_response(ui):
    for path in ("/", "/healthz", "/api/v1/openapi.json", "/nowhere"):
        headers = ui.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"


def test_unknown_page_is_html_404(ui):
    reply = ui.get("/nowhere")
    assert reply.status_code == 404 and "<h1>Error 404</h1>" in reply.get_data(as_text=True)


def test_a_text_in_another_language_is_scored_with_a_notice(ui):
    page = submit(ui, "Du bist ein totaler Idiot und alle wissen es.").get_data(as_text=True)
    assert 'id="language-notice"' in page and "<strong>de</strong>" in page and "English only" in page
    assert page.count("<meter") == 6  # still scored
    assert 'id="language-notice"' not in submit(ui, "you idiot").get_data(as_text=True)
    lines = submit(ui, "you idiot\nDu bist ein totaler Idiot und alle wissen es.", many=True).get_data(as_text=True)
    assert lines.count('class="hint language-notice"') == 1


def test_the_footer_links_to_the_perspective_guide_which_is_served(ui):
    page = ui.get("/").get_data(as_text=True)
    assert 'href="/docs/perspective.md"' in page
    guide = ui.get("/docs/perspective.md")
    assert guide.status_code == 200 and guide.mimetype == "text/markdown"
    assert "comments:analyze" in guide.get_data(as_text=True)
