"""app/core/offload.py: a password hash under gevent runs beside the loop, which goes on meanwhile;
elsewhere it is an ordinary call."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.core.offload import off_loop

ROOT = Path(__file__).resolve().parents[2]


def test_without_gevent_it_is_a_plain_call():
    assert off_loop(lambda a, b: a + b, 2, 3) == 5
    with pytest.raises(ZeroDivisionError):
        off_loop(lambda: 1 / 0)


def test_under_gevent_other_greenlets_run_while_a_password_is_checked():
    """The server's case: a login checks a scrypt hash while a live room's greenlets must go on.
    (A subprocess: monkey-patching belongs to a whole process.)"""
    script = textwrap.dedent("""
        from gevent import monkey
        monkey.patch_all()
        import gevent
        from werkzeug.security import check_password_hash, generate_password_hash
        from app.core.offload import off_loop

        hashed = generate_password_hash("secret")          # scrypt, the app's default
        ticks = []

        def room():
            while True:
                ticks.append(1)
                gevent.sleep(0)

        other = gevent.spawn(room)
        gevent.sleep(0)
        before = len(ticks)
        right = off_loop(check_password_hash, hashed, "secret")
        wrong = off_loop(check_password_hash, hashed, "guess")
        during = len(ticks) - before
        other.kill()
        print(right, wrong, during > 0)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "False", "True"]
