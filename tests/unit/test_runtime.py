"""What a server process does once it has started (app/core/runtime.py, called by wsgi.py)."""
import gc

from app.core import runtime


def test_settle_freezes_start_up_and_collects_less_often():
    before = gc.get_threshold()
    try:
        gc.unfreeze()
        runtime.settle()
        assert gc.get_threshold() == runtime.GC_THRESHOLDS
        assert runtime.GC_THRESHOLDS[0] > before[0] and runtime.GC_THRESHOLDS[2] > before[2]
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_the_server_settles_after_creating_its_app():
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "wsgi.py").read_text(encoding="utf-8")
    assert source.index("app = create_app()") < source.index("runtime.settle()")
