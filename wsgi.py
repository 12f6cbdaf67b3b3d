"""Entry point: `python wsgi.py` (what `make run` does) or `gunicorn -k gevent -w 1 wsgi:app`.

gevent must patch the standard library before anything else is imported.
"""
import gevent
from gevent import monkey

# gevent keeps, for each greenlet, the stack and locals of the one that spawned it (for its
# debugging tools, which Yishi does not use): about 4 KiB a live socket, over its three greenlets.
gevent.config.track_greenlet_tree = False
monkey.patch_all()

import os  # noqa: E402
import socket  # noqa: E402

from gevent import pywsgi  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Config  # noqa: E402
from app.core import runtime  # noqa: E402
from app.extensions import socketio  # noqa: E402

if Config.SQLALCHEMY_DATABASE_URI.startswith("postgres"):
    # PostgreSQL waits yield to other greenlets instead of blocking the process. (On SQLite the
    # driver and its libpq, about 4 MiB, are not loaded at all.)
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()

app = create_app()

runtime.settle()


class NoDelayHandler(pywsgi.WSGIHandler):
    """Sends each response at once. Without TCP_NODELAY a kept-alive connection waits about 40 ms
    per response (Nagle's algorithm against the client's delayed ACK); gunicorn sets it itself."""

    def __init__(self, sock, address, server, rfile=None):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, address, server, rfile)

    def handle_one_request(self):
        result = super().handle_one_request()
        if result is True:
            # Kept alive for the next request (a phone keeps its connection for minutes): forget
            # this one's environ, headers and response as a new handler would not have them
            # (a few KiB a connection); the next request sets them anew.
            for name in ("environ", "headers", "response_headers", "result", "wsgi_input"):
                self.__dict__.pop(name, None)
        return result


if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f"Yishi is serving on http://{host}:{port}", flush=True)
    socketio.run(app, host=host, port=port, log_output=os.environ.get("ACCESS_LOG") == "1",
                 handler_class=NoDelayHandler)
