"""The floor of every live bench: a bare Flask-SocketIO gevent server, no database.

    python -m bench._bare_server PORT [REDIS_URL]

It answers what a resident's client asks of Yishi, doing the least that can be called doing it:
`GET /auth/login` renders a form with a CSRF token kept in the (signed cookie) session, `POST
/auth/login` checks that token and puts the phone in the session (302), a Socket.IO connection is
refused without that session; `join` puts the socket in the room and acknowledges; `next_item`
and `open_vote` broadcast `item_changed` / `vote_opened` to the room; `cast` acknowledges with a
made-up receipt; `close_vote` acknowledges. What Flask and Flask-SocketIO themselves cost on
this machine. With REDIS_URL, the processes started with it share rooms through Redis as Yishi's
do (the baseline of bench/scale.py). Clients may also connect with `auth={"token": ...}`
(the older benches' clients, which never log in). A POST of a micro-project ballot
answers with a made-up receipt (the baseline of bench/microprojects.py).
"""
from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

from flask import Flask, abort, redirect, request, session  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402
from gevent import pywsgi  # noqa: E402
from socketio.exceptions import ConnectionRefusedError as ConnectionRefused  # noqa: E402

app = Flask(__name__)
app.secret_key = "bench-bare"
socketio = SocketIO(app, async_mode="gevent", message_queue=sys.argv[2] if len(sys.argv) > 2 else None)
state = {"index": 0, "vote": 0}

FORM = ('<form method="post"><input id="csrf_token" name="csrf_token" type="hidden" value="{token}">'
        '<input name="phone"><input name="password" type="password"></form>')


@app.route("/healthz")
def healthz():
    return {"status": "ok"}


@app.route("/api/v1/micro/rounds/<int:round_id>/ballot", methods=["POST"])
def micro_ballot(round_id):
    """The baseline of bench/microprojects.py: a JSON answer with a made-up receipt, nothing stored."""
    state["index"] += 1
    return {"receipt": f"BARE-{state['index']:08d}"}, 201


@app.route("/auth/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        session.setdefault("csrf", secrets.token_hex(16))
        return FORM.format(token=session["csrf"])
    if request.form.get("csrf_token") != session.get("csrf") or not request.form.get("password"):
        abort(400)
    session.clear()
    session["user"] = request.form["phone"]
    return redirect("/")


@socketio.on("connect", namespace="/live")
def connect(auth=None):
    if not session.get("user") and not (isinstance(auth, dict) and "token" in auth):
        raise ConnectionRefused("not_authenticated")


@socketio.on("join", namespace="/live")
def join(data):
    join_room(f"meeting:{data['meeting_id']}")
    return {"ok": True, "state": {"current_item": state["index"]}}


@socketio.on("next_item", namespace="/live")
def next_item(data):
    state["index"] += 1
    socketio.emit("item_changed", {"meeting_id": data["meeting_id"], "index": state["index"]},
                  namespace="/live", to=f"meeting:{data['meeting_id']}")
    return {"ok": True, "index": state["index"]}


@socketio.on("open_vote", namespace="/live")
def open_vote(data):
    state["vote"] += 1
    socketio.emit("vote_opened", {"meeting_id": data["meeting_id"], "vote_id": state["vote"]},
                  namespace="/live", to=f"meeting:{data['meeting_id']}")
    return {"ok": True, "vote_id": state["vote"]}


@socketio.on("close_vote", namespace="/live")
def close_vote(data):
    return {"ok": True, "vote_id": data.get("vote_id")}


@socketio.on("cast", namespace="/live")
def cast(data):
    return {"ok": True, "receipt": str(data.get("nonce", ""))[:12], "vote_id": data.get("vote_id")}


class NoDelayHandler(pywsgi.WSGIHandler):
    """TCP_NODELAY, as wsgi.py sets it for Yishi."""

    def __init__(self, sock, address, server, rfile=None):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, address, server, rfile)


if __name__ == "__main__":
    # As wsgi.py does (app/core/runtime.py, not imported: the floor loads nothing of Yishi's).
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 100)
    socketio.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_output=False,
                 handler_class=NoDelayHandler)
