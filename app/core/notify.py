"""In-app notifications (and e-mail when SMTP is configured): how people hear of changes."""
from app.core import mail
from app.core.timeutil import utcnow
from app.extensions import db


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
    text = str(text)   # a Message is rendered here until notifications keep code and parameters
    seen = set()
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        db.session.add(Notification(user_id=user.id, text=text, url=url))
        email = getattr(user, "email", None)
        if email and mail.is_on():
            mail.send_after_commit(email, text, url)


def unread_count(user):
    return Notification.query.filter_by(user_id=user.id, is_read=False).count()

