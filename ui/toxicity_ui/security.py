"""Browser-facing protection: CSRF on the form and strict response headers everywhere."""

from flask_wtf.csrf import CSRFProtect

SECURITY_HEADERS = {
    # No inline scripts or styles at all: bars are <meter> elements, not styled divs.
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'; object-src 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

csrf = CSRFProtect()


def _add_headers(response):
    response.headers.update(SECURITY_HEADERS)
    return response


def init_app(app, csrf_exempt=()) -> None:
    csrf.init_app(app)
    for blueprint in csrf_exempt:  # JSON only (415 otherwise): a cross-site form cannot post to it
        csrf.exempt(blueprint)
    app.after_request(_add_headers)
