"""The /live namespace is composed in one place, and its list of events says what it answers."""
import inspect

from app.live import EVENTS, Live


def test_the_list_of_events_is_what_the_namespace_answers():
    handlers = {name[3:] for name, _ in inspect.getmembers(Live, inspect.isfunction) if name.startswith("on_")}
    assert len(EVENTS) == len(set(EVENTS))
    assert set(EVENTS) == handlers
