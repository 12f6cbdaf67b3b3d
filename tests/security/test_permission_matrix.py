"""The permission matrix against the running app: complete, and true where a test can ask.

- every URL rule and every /live event is in permission_matrix.py, and nothing listed is gone;
- the anonymous are sent to the login page (HTML), answered 401 (API) or 404 on every route the
  matrix does not open to them, whatever the method;
- every role opens the pages the matrix gives it and is refused (403/404) the others, for every
  GET page whose ids the fixtures make (community, street, meeting);
- every /live command is refused to every role the matrix does not list, and a socket without a
  session or token never connects.
"""
import inspect
from urllib.parse import urlparse

from flask import url_for

from tests.security import permission_matrix as pm
from tests.security.site import pages, url_values

LOGIN_PATH = "/auth/login"


def endpoints(app):
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def live_events():
    """The events of the /live namespace the app registered (every on_<event> method)."""
    from app.extensions import socketio

    handler = socketio.server.namespace_handlers["/live"]
    return {name[3:] for name, _ in inspect.getmembers(type(handler), inspect.isfunction)
            if name.startswith("on_")}


def test_every_route_is_in_the_matrix(app):
    missing = sorted(endpoints(app) - set(pm.ROUTES))
    gone = sorted(set(pm.ROUTES) - endpoints(app))
    assert not missing, (f"routes with no line in tests/security/permission_matrix.py ROUTES: {missing} "
                         "(add one line each: \"endpoint\": ROLES,)")
    assert not gone, f"ROUTES lists endpoints the app no longer has: {gone}"


def test_every_live_event_is_in_the_matrix(app):
    missing = sorted(live_events() - set(pm.EVENTS))
    gone = sorted(set(pm.EVENTS) - live_events())
    assert not missing, (f"/live events with no line in permission_matrix.py EVENTS: {missing} "
                         "(add one line each: \"event\": ROLES,)")
    assert not gone, f"EVENTS lists events app.live.Live no longer has: {gone}"


def test_every_entry_names_known_roles_and_methods(app):
    methods = {}
    for rule in app.url_map.iter_rules():
        methods.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    for name, entry in pm.ROUTES.items():
        if isinstance(entry, dict):
            assert set(entry) == methods.get(name, set(entry)), (name, "list every method once")
        for roles in (entry.values() if isinstance(entry, dict) else [entry]):
            assert roles and set(roles) <= set(pm.ROLES), name
    for name, roles in pm.EVENTS.items():
        assert roles and set(roles) <= set(pm.ROLES), name


def _is_login_redirect(response):
    return response.status_code == 302 and urlparse(response.headers["Location"]).path == LOGIN_PATH


def test_the_anonymous_are_sent_to_login_where_the_matrix_asks_for_it(app, client, people, live_room):
    wrong = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in pm.ROUTES:
            continue   # test_every_route_is_in_the_matrix names it
        with app.test_request_context():
            path = url_for(rule.endpoint, **url_values(rule, people, live_room))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if pm.ANONYMOUS in pm.roles_for(rule.endpoint, method):
                continue
            response = client.open(path, method=method)
            if path.startswith("/api/"):
                ok = response.status_code in (401, 404) and "error" in (response.get_json() or {})
            else:
                ok = _is_login_redirect(response) or response.status_code == 404
            if not ok:
                wrong.append(f"{method} {path} ({rule.endpoint}) -> {response.status_code}")
    assert not wrong, "the anonymous got through:\n" + "\n".join(wrong)


def test_each_role_opens_exactly_the_pages_the_matrix_gives_it(app, people, client_for, live_room):
    site = pages(app, people, live_room)
    assert len(site) > 30   # the sweep really covers the site
    wrong = []
    for role in pm.ROLES:
        client = client_for(role)
        for endpoint, path in site:
            if endpoint not in pm.ROUTES:
                continue   # test_every_route_is_in_the_matrix names it
            response = client.get(path)
            allowed = role in pm.roles_for(endpoint, "GET")
            if allowed:
                ok = response.status_code < 400 and not _is_login_redirect(response)
            elif role == pm.ANONYMOUS:
                ok = _is_login_redirect(response)
            else:
                ok = response.status_code in (403, 404)
            if not ok:
                wrong.append(f"{role:13} GET {path} ({endpoint}): matrix says "
                             f"{'allowed' if allowed else 'refused'}, got {response.status_code}")
    assert not wrong, "\n".join(wrong)


# -- Socket.IO -----------------------------------------------------------------------------------

def _socket(app, db, user):
    from app.extensions import socketio
    from tests.integration.live_helpers import token

    auth = {"token": token(db, user)} if user is not None else None
    return socketio.test_client(app, namespace="/live", auth=auth)


def test_a_socket_without_session_or_token_never_connects(app, db):
    client = _socket(app, db, None)
    assert not client.is_connected("/live")


def test_live_commands_are_refused_to_every_role_the_matrix_leaves_out(app, db, people, live_room):
    wrong = []
    commands = sorted(live_events() - {"connect", "disconnect"})
    for role in pm.ROLES:
        if role == pm.ANONYMOUS:
            continue   # cannot connect at all (the test above)
        client = _socket(app, db, people[role])
        assert client.is_connected("/live"), role
        for event in commands:
            if role in pm.EVENTS[event]:
                continue
            payload = {"meeting_id": live_room["meeting"]}
            for key, value in pm.EVENT_PAYLOADS.get(event, {}).items():
                payload[key] = live_room.get(value, value) if isinstance(value, str) else value
            ack = client.emit(event, payload, namespace="/live", callback=True)
            if not isinstance(ack, dict) or ack.get("ok") is not False:
                wrong.append(f"{role} {event}: not refused: {ack}")
            elif ack["error"]["code"] in ("invalid_payload", "server_error"):
                wrong.append(f"{role} {event}: {ack['error']} (give it a payload in EVENT_PAYLOADS)")
        client.disconnect(namespace="/live")
    assert not wrong, "\n".join(wrong)
