"""E-mail: sent by Flask-Mailman off the request path, with absolute links; mail without a public
address is refused at start."""
import email
import socket
import threading
import time
from email import policy

import pytest

from app import create_app
from app.core.mail import MailConfigError, wait_until_sent
from tests.integration import test_proposals_html as proposals
from tests.integration.test_proposals_html import act, as_user, write

BASE = "https://yishi.example.cn"
world = proposals.world  # the fixture: people of one community, with a proposal to co-sign


class SlowSmtpServer:
    """Just enough SMTP on a loopback port, greeting each client only after `delay` seconds, as
    an overloaded or far-away mail relay does."""

    def __init__(self, delay):
        self.delay = delay
        self.messages = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn, conn.makefile("rb") as lines:
            time.sleep(self.delay)
            conn.sendall(b"220 slow.example ESMTP\r\n")
            for line in lines:
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    data = b""
                    for body_line in lines:
                        if body_line == b".\r\n":
                            break
                        data += body_line
                    self.messages.append(email.message_from_bytes(data, policy=policy.default))
                    conn.sendall(b"250 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # EHLO, MAIL FROM, RCPT TO, RSET, NOOP
                    conn.sendall(b"250 ok\r\n")

    def close(self):
        self.sock.close()


@pytest.fixture()
def slow_smtp(app, monkeypatch):
    server = SlowSmtpServer(delay=3)
    mailman = app.extensions["mailman"]
    for name, value in {"backend": "smtp", "server": "127.0.0.1", "port": server.port,
                        "timeout": 10}.items():
        monkeypatch.setattr(mailman, name, value)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE + "/")
    yield server
    wait_until_sent(timeout=30)
    server.close()


def test_a_slow_mail_server_does_not_slow_a_cosign(app, world, db, slow_smtp):
    w = world
    w.author.email = "zhang@example.com"
    db.session.commit()
    author = as_user(app, w.author)
    p = write(author, w)
    act(author, p, "publish")
    neighbour = as_user(app, w.neighbours[0])

    started = time.monotonic()
    response = act(neighbour, p, "cosign")
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < 1.0, f"the co-sign waited {elapsed:.2f} s on the mail server"
    assert wait_until_sent(timeout=30)
    mail = [m for m in slow_smtp.messages if m["To"] == "zhang@example.com"]
    assert mail, "the mail did not arrive"
    body = mail[-1].get_content()
    assert "附议了您的提案" in body
    assert f"{BASE}/c/{w.c.id}/proposals/{p.id}" in body.split()


def test_nothing_is_mailed_for_a_change_that_was_rolled_back(app, world, db, monkeypatch):
    from app.core.notify import notify

    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.invalid")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
    world.author.email = "zhang@example.com"
    db.session.commit()
    notify([world.author], "不会发出的通知", "/c/1")
    db.session.rollback()
    assert wait_until_sent()
    assert app.extensions["mailman"].outbox == []


def test_mail_without_a_public_address_is_refused_at_start():
    with pytest.raises(MailConfigError) as refused:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "MAIL_SERVER": "smtp.example.cn", "PUBLIC_BASE_URL": ""})
    assert "MAIL_SERVER" in str(refused.value) and "PUBLIC_BASE_URL" in str(refused.value)
