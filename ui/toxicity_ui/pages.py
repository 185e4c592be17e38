"""The HTML page: a form that works without JavaScript (plain POST), same limits as the API."""

from flask import Blueprint, current_app, render_template, request
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from .errors import ApiError
from .scoring import admit, remember_model, score_text
from .text_rules import validate_text

pages = Blueprint("pages", __name__)


class CheckForm(FlaskForm):
    # Validation is text_rules.validate_text, shared with the API; the form adds CSRF.
    text = TextAreaField("Text to check")


def render(form: CheckForm, result=None, error=None, status=200):
    settings = current_app.config["SETTINGS"]
    page = render_template("index.html", form=form, result=result, error=error,
                           max_chars=settings.max_text_chars, version=settings.app_version,
                           last_model=current_app.config.get("LAST_MODEL"))
    return page, status


@pages.get("/")
def index():
    return render(CheckForm())


@pages.post("/")
def submit():
    form = CheckForm()  # CSRFProtect has already checked the token
    settings = current_app.config["SETTINGS"]
    text = form.text.data or ""
    try:
        admit(request.remote_addr)
        validate_text(text, settings)
        result = score_text(text, current_app.config["CLIENT"], settings)
    except ApiError as error:
        return render(form, error=error.message, status=error.status)
    remember_model(result)
    return render(form, result=result)
