"""In-app notifications (and e-mail when SMTP is configured): how people hear of changes.

A notification is kept as what to say, not as a sentence: the msgid (Simplified Chinese, the
source language) and its parameters as JSON, so each recipient reads it in their own language,
on the notification centre and in mail. What was stored before as a sentence (`text` alone), or
is given as a plain string, is shown as it is.
"""
import datetime as dt
import json
from decimal import Decimal

from flask_babel import force_locale

from app.core import i18n, locale, mail
from app.core.timeutil import utcnow
from app.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    # The source-language sentence: shown as it is for a plain str and rows older than msgid;
    # for a message, its Chinese (source) text, kept for reading the table and for a downgrade.
    text = db.Column(db.Text, nullable=False)
    msgid = db.Column(db.Text, nullable=True)           # what to say, translated when read
    msgid_plural = db.Column(db.Text, nullable=True)
    params = db.Column(db.Text, nullable=True)          # JSON (see encode_params)
    url = db.Column(db.String(255), nullable=True)
    is_read = db.Column(db.Boolean, nullable=False, default=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (db.Index("ix_notifications_user_unread", "user_id", "is_read"),)

    @property
    def message(self):
        """What to say, as a Message (or the stored sentence)."""
        if self.msgid is None:
            return self.text
        msgid = i18n.Plural(self.msgid, self.msgid_plural) if self.msgid_plural else self.msgid
        return i18n.Message(msgid, **decode_params(self.params))

    @property
    def rendered(self):
        """The notification in the language of whoever reads it now."""
        return str(self.message)

    def set_message(self, value):
        message = as_message(value)
        if message is None:
            self.text, self.msgid, self.msgid_plural, self.params = i18n.text(value), None, None, None
            return
        plural = isinstance(message.msgid, i18n.Plural)
        self.msgid = message.msgid[0] if plural else message.msgid
        self.msgid_plural = message.msgid[1] if plural else None
        self.params = encode_params(message.params) if message.params else None
        with force_locale(locale.DEFAULT):
            self.text = str(message)


def as_message(value):
    """A Message for a Message or a lazy string (flask_babel's lazy_gettext); None for a plain str."""
    if isinstance(value, i18n.Message):
        return value
    if type(value).__name__ == "LazyString":
        # lazy_gettext(msgid, **variables) keeps what it was given: translate it later, not now.
        args, params = getattr(value, "_args", ()), dict(getattr(value, "_kwargs", {}))
        if len(args) == 3 and isinstance(args[2], int):     # lazy_ngettext(singular, plural, num)
            params.setdefault("num", args[2])
            return i18n.Message(i18n.Plural(args[0], args[1]), **params)
        if args and isinstance(args[0], str):
            return i18n.Message(args[0], **params)
    return None


def _encode(value):
    if isinstance(value, i18n.Message):
        msgid = list(value.msgid) if isinstance(value.msgid, i18n.Plural) else value.msgid
        return {"$msg": msgid, "params": {k: _encode(v) for k, v in value.params.items()}}
    message = as_message(value)
    if message is not None:
        return _encode(message)
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _decode(value):
    if isinstance(value, dict):
        if "$msg" in value:
            msgid = value["$msg"]
            msgid = i18n.Plural(*msgid) if isinstance(msgid, list) else msgid
            return i18n.Message(msgid, **{k: _decode(v) for k, v in (value.get("params") or {}).items()})
        if "$dt" in value:
            return dt.datetime.fromisoformat(value["$dt"])
        if "$date" in value:
            return dt.date.fromisoformat(value["$date"])
        if "$dec" in value:
            return Decimal(value["$dec"])
    return value


def encode_params(params):
    """Parameters as JSON: times (naive UTC), dates, decimals and nested messages kept typed, so
    they are formatted for the reader when shown."""
    return json.dumps({key: _encode(value) for key, value in params.items()}, ensure_ascii=False)


def decode_params(raw):
    if not raw:
        return {}
    return {key: _decode(value) for key, value in json.loads(raw).items()}


def recipient_locale(user):
    """The language a recipient reads mail in: their choice, else the default."""
    return locale.normalise(getattr(user, "locale", None)) or locale.DEFAULT


def notify(users, text, url=None):
    """Tell each user (once, even if listed twice) in the notification centre. `text` is a
    Message (app.core.i18n), a lazy string, or a plain str (shown as it is)."""
    seen = set()
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        notification = Notification(user_id=user.id, url=url)
        notification.set_message(text)
        db.session.add(notification)
        email = getattr(user, "email", None)
        if email and mail.is_on():
            with force_locale(recipient_locale(user)):
                mail.send_after_commit(email, notification.rendered, url)


def unread_count(user):
    return Notification.query.filter_by(user_id=user.id, is_read=False).count()
