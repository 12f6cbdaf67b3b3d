"""The baseline for bench/room.py: a bare Flask-SocketIO gevent server that only relays.

    python -m bench._bare_server PORT [REDIS_URL]

`join` puts the socket in the room and acknowledges; `next_item` broadcasts `item_changed` to the
room; `cast` acknowledges with a made-up receipt, and so does a POST of a micro-project ballot. No database, no authentication: what
Flask-SocketIO itself costs on this machine. With REDIS_URL, the processes started with it share
rooms through Redis as Yishi's do (the baseline of bench/scale.py).
"""
from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

from flask import Flask  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent", message_queue=sys.argv[2] if len(sys.argv) > 2 else None)
state = {"index": 0}


@app.route("/healthz")
def healthz():
    return {"status": "ok"}


@app.route("/api/v1/micro/rounds/<int:round_id>/ballot", methods=["POST"])
def micro_ballot(round_id):
    """The baseline of bench/microprojects.py: a JSON answer with a made-up receipt, nothing stored."""
    state["index"] += 1
    return {"receipt": f"BARE-{state['index']:08d}"}, 201


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


@socketio.on("cast", namespace="/live")
def cast(data):
    return {"ok": True, "receipt": str(data.get("nonce", ""))[:12], "vote_id": data.get("vote_id")}


if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_output=False)
