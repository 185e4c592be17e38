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
    # The native API takes JSON only (415 otherwise), so a cross-site form cannot post to it;
    # Perspective's takes any Content-Type, as Google does, and refuses cross-site browser
    # requests instead (perspective.py).
    for blueprint in csrf_exempt:
        csrf.exempt(blueprint)
    app.after_request(_add_headers)
