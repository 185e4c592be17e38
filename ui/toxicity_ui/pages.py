"""The HTML page: a form that works without JavaScript (plain POST), same limits as the API."""

from flask import Blueprint, render_template, request
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from .errors import ApiError
from .scoring import admit, score_text
from .services import services
from .text_rules import validate_text

pages = Blueprint("pages", __name__)


class CheckForm(FlaskForm):
    # Validation is text_rules.validate_text, shared with the API; the form adds CSRF.
    text = TextAreaField("Text to check")


def render(form: CheckForm, result=None, error=None, status=200):
    settings = services().settings
    page = render_template("index.html", form=form, result=result, error=error,
                           max_chars=settings.max_text_chars, version=settings.app_version,
                           last_model=services().last_model.get())
    return page, status


@pages.get("/")
def index():
    return render(CheckForm())


@pages.post("/")
def submit():
    form = CheckForm()  # CSRFProtect has already checked the token
    text = form.text.data or ""
    try:
        admit(request.remote_addr)
        validate_text(text, services().settings)
        result = score_text(text)
    except ApiError as error:
        return render(form, error=error.message, status=error.status)
    return render(form, result=result)
