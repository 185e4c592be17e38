"""The HTML page: a form that works without JavaScript (plain POST), same limits as the API.

One text, or one text per line (scored in one call); either with an explanation of the
words behind each flagged label, highlighted in the text.
"""

import secrets

from flask import Blueprint, render_template, request, send_from_directory, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from wtforms import BooleanField, TextAreaField

from . import metrics
from .errors import ApiError, empty_text
from .highlight import segments
from .scoring import admit, score_text, score_texts
from .services import services
from .text_rules import validate_text, validate_texts

pages = Blueprint("pages", __name__)


class CheckForm(FlaskForm):
    # Validation is text_rules.validate_text, shared with the API; the form adds CSRF.
    text = TextAreaField("Text to check")
    many = BooleanField("One text per line")
    explain = BooleanField("Explain: show the words behind each flagged label")


def render(form: CheckForm, result=None, batch=None, error=None, status=200):
    settings = services().settings
    page = render_template("index.html", form=form, result=result, batch=batch, error=error,
                           max_chars=settings.max_text_chars, max_batch_texts=settings.max_batch_texts,
                           version=settings.app_version, last_model=services().last_model.get(),
                           policy=services().policy.as_dict(), segments=segments)
    return page, status


@pages.app_errorhandler(CSRFError)  # app-wide: the check runs before any view
def csrf_failed(error):
    metrics.EXCEPTIONS.labels(type="csrf").inc()
    return render(CheckForm(), error="Your session expired or the form was not sent by this page. "
                                     "Please submit again.", status=400)


@pages.get("/")
def index():
    return render(CheckForm())


def _browser() -> str:
    """This browser's id in its session cookie: a canary keeps a person on one version."""
    return "browser:" + session.setdefault("client", secrets.token_hex(8))


@pages.post("/")
def submit():
    form = CheckForm()  # CSRFProtect has already checked the token
    text = form.text.data or ""
    client = _browser()
    try:
        admit(request.remote_addr)
        if form.many.data:
            lines = [line for line in text.splitlines() if line.strip()]
            if not lines:
                raise empty_text()
            batch = score_texts(validate_texts(lines, services().settings), explain=form.explain.data,
                                client=client)
            batch["texts"] = lines
            return render(form, batch=batch)
        validate_text(text, services().settings)
        result = score_text(text, explain=form.explain.data, client=client)
    except ApiError as error:
        return render(form, error=error.message, status=error.status)
    result["text"] = text
    return render(form, result=result)


@pages.get("/docs/perspective.md")
def perspective_guide():
    """The Perspective migration guide (docs/perspective.md), as the page's footer links it."""
    return send_from_directory(services().settings.docs_dir, "perspective.md", mimetype="text/markdown")
