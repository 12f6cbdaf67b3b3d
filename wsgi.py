"""Entry point: `python wsgi.py` (what `make run` does) or `gunicorn -k gevent -w 1 wsgi:app`.

gevent must patch the standard library before anything else is imported.
"""
from gevent import monkey

monkey.patch_all()

from psycogreen.gevent import patch_psycopg  # noqa: E402

patch_psycopg()  # PostgreSQL waits yield to other greenlets instead of blocking the process

import gc  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402

from gevent import pywsgi  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import socketio  # noqa: E402

app = create_app()

# What start-up made (modules, the app, SQLAlchemy's mappers: about 220,000 objects) lives as long
# as the process: kept out of the collector's full passes, which otherwise walk it again each time
# and, with thousands of sockets open, stall every live room for a few hundred milliseconds.
gc.collect()
gc.freeze()


class NoDelayHandler(pywsgi.WSGIHandler):
    """Sends each response at once. Without TCP_NODELAY a kept-alive connection waits about 40 ms
    per response (Nagle's algorithm against the client's delayed ACK); gunicorn sets it itself."""

    def __init__(self, sock, address, server, rfile=None):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, address, server, rfile)


if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f"Yishi is serving on http://{host}:{port}", flush=True)
    socketio.run(app, host=host, port=port, log_output=os.environ.get("ACCESS_LOG") == "1",
                 handler_class=NoDelayHandler)
