"""`python wsgi.py` under cProfile: SIGUSR1 starts the profile, SIGUSR2 writes it to
$PROFILE_OUT and stops it (bench/cast_cpu.py --profile)."""
from gevent import monkey

monkey.patch_all()

import cProfile  # noqa: E402
import os  # noqa: E402
import runpy  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402

profile = cProfile.Profile()


def _start():
    profile.enable()


def _write():
    profile.disable()
    profile.dump_stats(os.environ["PROFILE_OUT"])


gevent.signal_handler(signal.SIGUSR1, _start)
gevent.signal_handler(signal.SIGUSR2, _write)
TREE = Path(os.environ.get("WSGI_TREE", Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(TREE))
runpy.run_path(str(TREE / "wsgi.py"), run_name="__main__")
