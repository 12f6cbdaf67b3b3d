"""E-mail through Flask-Mailman, handed after commit to a worker so no request waits on SMTP."""
import atexit
import logging
import os
import queue
import threading
import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_mailman import EmailMessage

from app.core.db import after_commit
from app.extensions import mail

log = logging.getLogger(__name__)

SUBJECT_PREFIX = _l("【议事】")   # in the recipient's language: the caller sets the locale
# How long a process that is ending (a CLI command, a server shutting down) waits for mail still
# queued, at most.
EXIT_WAIT_SECONDS = 30

_queue = queue.Queue()
_worker_pid = None
_start_lock = threading.Lock()


class MailConfigError(RuntimeError):
    """The mail settings cannot work together; raised by create_app, before anything is served."""


def check_config(config):
    """Mail links to pages, so a site that sends mail must know its public address."""
    if config.get("MAIL_SERVER") and not config.get("PUBLIC_BASE_URL"):
        raise MailConfigError(
            "MAIL_SERVER is set but PUBLIC_BASE_URL is not: e-mails link to pages and need the "
            "site's public address (e.g. PUBLIC_BASE_URL=https://yishi.example.cn), or unset "
            "MAIL_SERVER to turn mail off.")


def is_on():
    return bool(current_app.config.get("MAIL_SERVER"))


def absolute_url(path):
    """A link a mail client can open: the site's public address in front of the app's path."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def send_after_commit(to, text, url=None):
    """Mail `text` (and a link to `url`, an app path) to one address once the transaction commits.

    The message is built now, while the request's app is at hand; the worker sends it."""
    body = text + (f"\n\n{absolute_url(url)}" if url else "")
    message = EmailMessage(subject=str(SUBJECT_PREFIX) + text[:40], body=body, to=[to])
    app = current_app._get_current_object()
    after_commit(lambda: _enqueue(app, message))


def _enqueue(app, message):
    _ensure_worker()
    _queue.put((app, message))


def _ensure_worker():
    """One worker per process, started on first use: after gunicorn forks, not before (a thread
    started in the parent does not survive the fork)."""
    global _worker_pid
    if _worker_pid == os.getpid():
        return
    with _start_lock:
        if _worker_pid == os.getpid():
            return
        # A plain thread, deliberately: under gevent (wsgi.py patches threading and queue) it is a
        # greenlet and the SMTP socket yields; in a CLI command or a test it is a real thread.
        # socketio.start_background_task would make a greenlet even where nothing is patched, and
        # that greenlet never runs while a CLI command blocks.
        threading.Thread(target=_work, name="yishi-mail", daemon=True).start()
        if _worker_pid is None:
            atexit.register(wait_until_sent, EXIT_WAIT_SECONDS)
        _worker_pid = os.getpid()


def _work():
    while True:
        batch = [_queue.get()]
        while True:  # what queued up meanwhile goes over the same SMTP connection
            try:
                batch.append(_queue.get_nowait())
            except queue.Empty:
                break
        try:
            _send(batch)
        finally:
            for _ in batch:
                _queue.task_done()


def _send(batch):
    by_app = {}
    for app, message in batch:
        by_app.setdefault(app, []).append(message)
    for app, messages in by_app.items():
        try:
            with app.app_context():
                mail.get_connection().send_messages(messages)
        except Exception:  # noqa: BLE001 - the change the mail tells of is committed; log and go on
            log.exception("could not send mail to %s",
                          ", ".join(address for m in messages for address in m.to))


def wait_until_sent(timeout=10.0):
    """Block until every queued message has been tried; True if the queue emptied in time.
    For tests, and for a process about to end."""
    deadline = time.monotonic() + timeout
    while _queue.unfinished_tasks:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True
