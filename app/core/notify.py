"""In-app notifications (and e-mail when SMTP is configured): how people hear of changes."""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from app.core.db import after_commit
from app.core.timeutil import utcnow
from app.extensions import db

log = logging.getLogger(__name__)


class Notification(db.Model):
    __tablename__ = "notifications"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    text = db.Column(db.Text, nullable=False)
    url = db.Column(db.String(255), nullable=True)
    is_read = db.Column(db.Boolean, nullable=False, default=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (db.Index("ix_notifications_user_unread", "user_id", "is_read"),)


def notify(users, text, url=None):
    """Tell each user (once, even if listed twice) in the notification centre."""
    seen = set()
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        db.session.add(Notification(user_id=user.id, text=text, url=url))
        email = getattr(user, "email", None)
        if email and current_app.config.get("MAIL_SERVER"):
            after_commit(lambda e=email: send_mail(e, text, url))


def unread_count(user):
    return Notification.query.filter_by(user_id=user.id, is_read=False).count()


def send_mail(to, text, url=None):
    config = current_app.config
    msg = EmailMessage()
    msg["Subject"] = "【议事】" + text[:40]
    msg["From"] = config["MAIL_SENDER"]
    msg["To"] = to
    msg.set_content(text + (f"\n\n{config.get('PUBLIC_BASE_URL', '')}{url}" if url else ""))
    outbox = current_app.extensions.get("yishi_outbox")
    if outbox is not None:  # tests capture mail instead of sending it
        outbox.append(msg)
        return
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            smtp.send_message(msg)
    except OSError:
        log.exception("could not send mail to %s", to)
