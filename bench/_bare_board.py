"""The floor of the notice board's index: a bare Flask page with the board's 20 newest rows.

    python -m bench._bare_board PORT DATABASE_URL

The same server kind as Yishi's (gevent's WSGI server, TCP_NODELAY) and the same database: one
query for the 20 newest postings with their community's name, rendered by a Jinja template into
the same fields the board shows for each (link, kind, community, category, status, date, summary).
No frame, no session, no filters, no translation: what reading and rendering the rows costs.
"""
from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

from flask import Flask, render_template  # noqa: E402
from jinja2 import DictLoader  # noqa: E402
from gevent import pywsgi  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

app = Flask(__name__)
engine = create_engine(sys.argv[2])

ROWS = text(
    "SELECT p.kind, p.source_id, p.title, p.category, p.status, p.published_dt, p.summary, "
    "c.name AS community FROM notice_postings AS p LEFT JOIN communities AS c ON c.id = p.community_id "
    "ORDER BY p.published_dt DESC, p.id DESC LIMIT 20")

PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>公开栏</title></head>
<body><h1>公开栏</h1><ol class="board-list">
{% for p in rows %}<li class="posting-row" id="posting-{{ p.kind }}-{{ p.source_id }}">
<h2 class="posting-title"><a href="/notice/{{ p.kind }}/{{ p.source_id }}">{{ p.title }}</a></h2>
<p class="meta"><span class="kind-badge kind-{{ p.kind }}">{{ p.kind }}</span><span>{{ p.community }}</span>
{% if p.category %}<span>{{ p.category }}</span>{% endif %}<span class="status">{{ p.status }}</span>
<span><time>{{ p.published_dt }}</time></span></p>
{% if p.summary %}<p class="summary">{{ p.summary }}</p>{% endif %}</li>
{% endfor %}</ol></body></html>"""
app.jinja_loader = DictLoader({"board.html": PAGE})   # compiled once, as Yishi's templates are


@app.route("/healthz")
def healthz():
    return {"status": "ok"}


@app.route("/board")
def board():
    with engine.connect() as conn:
        rows = conn.execute(ROWS).all()
    return render_template("board.html", rows=rows)


class NoDelayHandler(pywsgi.WSGIHandler):
    def __init__(self, sock, address, server, rfile=None):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, address, server, rfile)


if __name__ == "__main__":
    # As wsgi.py does (app/core/runtime.py, not imported: the floor loads nothing of Yishi's).
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 100)
    pywsgi.WSGIServer(("127.0.0.1", int(sys.argv[1])), app, handler_class=NoDelayHandler,
                      log=None).serve_forever()
