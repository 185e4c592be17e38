"""Toxicity Monitor UI: the web page and JSON API in front of TorchServe."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import errors, metrics, perspective, security, services
from .api import api
from .config import Settings
from .health import health
from .model_status import ModelStatusCollector
from .pages import pages
from .routing import RoutingCollector
from .version import VERSION

__version__ = VERSION


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.json.sort_keys = False  # keep the labels in the model's order
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_body_bytes,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session cookie
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    service = services.init_app(app, settings)
    if settings.proxy_hops:  # only then are X-Forwarded-* headers believed
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
    security.init_app(app, csrf_exempt=[api, perspective.perspective])
    metrics.init_app(app, [ModelStatusCollector(lambda: service.client.model_status(read_timeout=2.0)),
                           RoutingCollector(service.routing)])
    errors.init_app(app)
    app.register_blueprint(pages)
    app.register_blueprint(api)
    app.register_blueprint(health)
    perspective.init_app(app)
    return app
