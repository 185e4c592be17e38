"""The HTML page: the form round trip, escaping, CSRF and security headers."""

import pytest
from markupsafe import escape

from unit.conftest import csrf_token


def submit(ui, text, token=None):
    token = token or csrf_token(ui.get("/").get_data(as_text=True))
    return ui.post("/", data={"text": text, "csrf_token": token})


def test_page_has_an_accessible_form(ui):
    page = ui.get("/").get_data(as_text=True)
    assert '<label for="text">' in page and 'id="text"' in page
    assert '<button type="submit" id="submit">Submit</button>' in page
    assert "<script src=\"/static/app.js\"" in page and "cdn" not in page.lower()


def test_submit_shows_scores_verdict_and_keeps_the_text(ui):
    reply = submit(ui, "you idiot")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert 'class="verdict toxic"' in page and "Toxic</span>" in page
    assert page.count("<meter") == 6
    assert ">you idiot</textarea>" in page
    assert "fake-model v9.9" in page and "Demo model." in page
    assert "Time taken" in page


def test_benign_submit_shows_not_toxic(ui):
    page = submit(ui, "have a nice day").get_data(as_text=True)
    assert 'class="verdict clean"' in page and "Not toxic" in page


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
