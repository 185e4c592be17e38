"""gunicorn settings for the UI; every value can be overridden by an environment variable."""

import os
import secrets
import shutil
import sys
import tempfile

bind = f"{os.environ.get('UI_HOST', '127.0.0.1')}:{os.environ.get('UI_PORT', '5000')}"
workers = int(os.environ.get("UI_WORKERS", "2"))
# Threads: each request mostly waits on TorchServe, so threads are cheap concurrency.
worker_class = "gthread"
threads = int(os.environ.get("UI_THREADS", "16"))
# Above READ_TIMEOUT_SECONDS so the app answers 504 itself before gunicorn kills a worker.
timeout = int(float(os.environ.get("READ_TIMEOUT_SECONDS", "60"))) + 15
graceful_timeout = 20
# Idle connections stay open well past a few seconds: Perspective's Google client (httplib2) reuses
# its connection without an idle limit of its own and does not retry a send on a connection the
# server closed, so an application calling every few seconds would see BrokenPipeError. An idle
# connection costs a file descriptor, not a thread (gthread polls it).
keepalive = int(os.environ.get("UI_KEEPALIVE_SECONDS", "75"))
# X-Forwarded-* headers are the app's to believe or not (PROXY_HOPS, werkzeug's ProxyFix), not
# gunicorn's, which by default takes X-Forwarded-Proto from any client on 127.0.0.1.
secure_scheme_headers = {}
forwarded_allow_ips = ""
accesslog = "-"
# The request line without its query string: Google's clients send the API key as ?key=.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("UI_LOG_LEVEL", "info")
# The app's own log lines (what keys are configured, a routing switch) beside gunicorn's, in the
# same format; gunicorn's loggers do not propagate, so no line is written twice.
_generic = {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s", "datefmt": "[%Y-%m-%d %H:%M:%S %z]"}
logconfig_dict = {
    "version": 1, "disable_existing_loggers": False,
    "formatters": {"generic": _generic, "access": {"format": "%(message)s"}},  # access lines carry their own time
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
                 "stderr": {"class": "logging.StreamHandler", "formatter": "generic", "stream": "ext://sys.stderr"}},
    "root": {"level": loglevel.upper(), "handlers": ["stderr"]},
    "loggers": {"gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
                "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False}},
}
# Bound request-line and header sizes; the body is capped by the app (MAX_BODY_BYTES).
limit_request_line = 8190
limit_request_fields = 100

# One key for every worker (they fork from here): without SECRET_KEY the stack still starts,
# loudly, instead of each worker inventing its own and refusing the others' form tokens.
if not os.environ.get("SECRET_KEY"):
    os.environ["SECRET_KEY"] = secrets.token_hex(32)
    print("WARNING: SECRET_KEY is not set: generated a random key for this run, shared by the "
          "workers; forms submitted before a restart will need a reload. Set SECRET_KEY (.env) "
          "to keep it.", file=sys.stderr, flush=True)

# prometheus-client multiprocess mode: one directory shared by all workers,
# emptied at start so counters from an earlier run do not leak in.
metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                    os.path.join(tempfile.gettempdir(), f"toxicity-ui-metrics-{os.getpid()}"))

# The API keys' per-minute counters (quota.py): one file for every worker of this run.
quota_file = os.environ.setdefault("QUOTA_FILE", os.path.join(tempfile.gettempdir(),
                                                              f"toxicity-ui-quota-{os.getpid()}.sqlite"))


def on_starting(server):
    shutil.rmtree(metrics_dir, ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(quota_file + suffix):
            os.remove(quota_file + suffix)
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
