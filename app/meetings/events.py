"""Socket.IO namespace /live: commands in, facts out, every handler checks its caller."""
from flask import request
from flask_login import current_user
from flask_socketio import Namespace

from app.auth.models import ApiToken
from app.extensions import db

# sid -> user id, per process: a socket lives in exactly one process.
_connected = {}


def socket_user():
    """The user behind the current socket event, or None."""
    from app.auth.models import User

    user_id = _connected.get(request.sid)
    return db.session.get(User, user_id) if user_id else None


class LiveNamespace(Namespace):
    def on_connect(self, auth=None):
        user = None
        token = auth.get("token") if isinstance(auth, dict) else None
        if token:
            user = ApiToken.find_user(token)
        elif current_user.is_authenticated:
            user = current_user._get_current_object()
        if user is None:
            db.session.remove()
            # Refusing here means an anonymous client never reaches a handler.
            raise ConnectionRefusedError("unauthorized")
        _connected[request.sid] = user.id
        db.session.remove()

    def on_disconnect(self, reason=None):
        _connected.pop(request.sid, None)
