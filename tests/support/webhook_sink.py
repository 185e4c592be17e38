"""An Alertmanager webhook receiver on 127.0.0.1 that records what it is sent."""

import json
from http.server import BaseHTTPRequestHandler

from support.local_http import LocalHttpServer


class WebhookSink(LocalHttpServer):
    def __init__(self):
        self.notifications = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                sink.notifications.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        super().__init__(Handler)
        self.url = f"{self.base_url}/alerts"

    def alerts(self, name: str, status: str) -> list:
        return [alert for n in self.notifications for alert in n["alerts"]
                if alert["labels"].get("alertname") == name and alert["status"] == status]
