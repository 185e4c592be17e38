"""A stdlib HTTP server on a free 127.0.0.1 port, served from a thread, stopped on exit."""

import threading
from http.server import ThreadingHTTPServer

# shutdown() waits for the serving loop's next poll: at the default 0.5 s, every test that
# starts a server would spend half a second stopping it.
POLL_SECONDS = 0.02


class LocalHttpServer:
    def __init__(self, handler_class, preferred_port: int = 0):
        """preferred_port: that port when it is free, else any free one (0: any)."""
        try:
            self.server = ThreadingHTTPServer(("127.0.0.1", preferred_port), handler_class)
        except OSError:
            self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(POLL_SECONDS,), daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
