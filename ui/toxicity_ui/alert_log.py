"""A minimal Alertmanager webhook receiver that logs every notification as one JSON line.

The compose stack's default receiver (`alert-webhook`), so alerts are visible
in `docker compose logs alert-webhook` until a real incident tool is plugged
in. Run: python -m toxicity_ui.alert_log --port 9095
"""

import argparse
import json
import logging
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

logger = logging.getLogger("alert_log")
MAX_BODY = 1024 * 1024


class AlertLogHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # access lines add nothing to the alert lines
        pass

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/healthz":
            return self._reply(200, {"status": "ok"})
        self._reply(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/alerts":
            return self._reply(404, {"error": "not found"})
        header = self.headers.get("Content-Length") or "0"
        if not header.isdigit():
            self.close_connection = True  # the body's end is unknown: never read it
            return self._reply(400, {"error": "Content-Length is not a number"})
        length = int(header)
        if not 0 < length <= MAX_BODY:
            self.close_connection = True
            return self._reply(413 if length else 400, {"error": "body missing or too large"})
        try:
            notification = json.loads(self.rfile.read(length))
            alerts = notification["alerts"]
        except (ValueError, KeyError, TypeError):
            return self._reply(400, {"error": "not an Alertmanager notification"})
        if not isinstance(alerts, list) or not all(isinstance(alert, dict) for alert in alerts):
            return self._reply(400, {"error": "not an Alertmanager notification"})
        for alert in alerts:
            logger.warning(json.dumps({"status": alert.get("status"), "labels": alert.get("labels"),
                                       "summary": alert.get("annotations", {}).get("summary"),
                                       "startsAt": alert.get("startsAt")}))
        self._reply(200, {"received": len(alerts)})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=9095)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    server = ThreadingHTTPServer((args.host, args.port), AlertLogHandler)
    logger.info("alert log listening on %s:%d", args.host, args.port)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
