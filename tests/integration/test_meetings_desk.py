"""The check-in desk: who may open it, search, check-in by tap and by card, undo, cards, the API."""
from datetime import timedelta

import pytest

from app.auth.models import User
from app.community import cards as card_ops
from app.core.audit import AuditEvent
from app.core.timeutil import utcnow
from app.meetings import live, operations
from app.meetings.models import Attendance
from tests.conftest import api_token, login
from app.core.refusal import Refused


class Desk:
    """A live 两委联席会议 with members at known addresses and phones, a resident who is not a
    member, community staff and admin, and someone of another community."""

    def __init__(self, make, db):
        self.community = make.community()
        self.body = self.community.body_by_preset("two_committees")
        self.chair = make.user(self.community, name="主持人")
        self.secretary = make.user(self.community, name="记录员")
        self.zhang = make.user(self.community, name="张建国", building="5", unit="2", room="301")
        self.li = make.user(self.community, name="李秀英", building="5", unit="2", room="302")
        self.wang = make.user(self.community, name="王小明", building="12", unit="1", room="1101")
        self.resident = make.user(self.community, name="居民")
        self.staff = make.user(self.community, name="工作人员", roles=("staff",))
        self.admin = make.user(self.community, name="管理员", roles=("admin",))
        self.stranger = make.user(make.community(name="别的社区"), name="外人")
        make.member(self.body, self.chair, role="chair")
        make.member(self.body, self.secretary, role="secretary")
        for m in (self.zhang, self.li, self.wang):
            make.member(self.body, m)
        start = utcnow() + timedelta(minutes=10)   # due: inside the set-up margin
        self.meeting = operations.create_meeting(self.chair, self.body, title="月度例会", start_dt=start)
        operations.add_item(self.chair, self.meeting, title="预算")
        operations.announce(self.chair, self.meeting, now=start - timedelta(days=30))
        operations.start(self.chair, self.meeting)
        db.session.commit()
        self.id = self.meeting.id
        self.url = f"/meetings/{self.id}/desk"

    def present(self, db):
        db.session.expire_all()
        return {a.user_id: a.mode.value for a in Attendance.query.filter_by(meeting_id=self.id, left_dt=None)}


@pytest.fixture()
def desk(make, db):
    return Desk(make, db)


@pytest.mark.parametrize("who, status", [
    ("secretary", 200), ("chair", 200), ("staff", 200), ("admin", 200),
    ("zhang", 403),          # a member sees the room, not the desk
    ("resident", 404),       # cannot see this (non-public) body's meeting at all
    ("stranger", 404),       # another community
])
def test_who_may_open_the_desk(client, desk, who, status):
    login(client, getattr(desk, who))
    assert client.get(desk.url).status_code == status
    assert client.get(desk.url + "/roster.json").status_code == status
    response = client.post(desk.url + "/check-in", json={"user_id": desk.li.id},
                           headers={"Accept": "application/json"})
    assert response.status_code == (200 if status == 200 else status)


def test_the_page_and_the_links_to_it(client, desk):
    login(client, desk.secretary)
    page = client.get(desk.url).get_data(as_text=True)
    assert 'id="desk"' in page and "js/desk.js" in page and 'id="card-code"' in page
    assert 'data-unit="人"' in page and 'id="count-present"' in page
    assert "style=" not in page   # the CSP allows no inline style
    for path in (f"/meetings/{desk.id}", f"/meetings/{desk.id}/room"):
        assert f'href="{desk.url}"' in client.get(path).get_data(as_text=True)
    client.post("/auth/logout")
    login(client, desk.zhang)
    for path in (f"/meetings/{desk.id}", f"/meetings/{desk.id}/room"):
        assert f'href="{desk.url}"' not in client.get(path).get_data(as_text=True)


def _found(client, desk, query):
    data = client.get(desk.url + "/roster.json", query_string={"q": query}).get_json()
    return {m["name"] for m in data["members"]}


def test_search_by_name_room_and_last_four_digits(client, desk):
    login(client, desk.secretary)
    everyone = client.get(desk.url + "/roster.json").get_json()
    assert len(everyone["members"]) == 5
    zhang = next(m for m in everyone["members"] if m["user_id"] == desk.zhang.id)
    assert zhang["address"] == "5-2-301" and zhang["phone4"] == desk.zhang.phone[-4:]
    assert everyone["quorum"]["members"] == 5 and "present" in everyone
    assert _found(client, desk, "建国") == {"张建国"}
    assert _found(client, desk, "5-2-301") == {"张建国"}
    assert _found(client, desk, "5栋2单元301室") == {"张建国"}
    assert _found(client, desk, "５－２") == {"张建国", "李秀英"}      # full-width, a whole unit
    assert _found(client, desk, "1101") >= {"王小明"}                   # a room number alone
    assert _found(client, desk, desk.li.phone[-4:]) == {"李秀英"}
    assert _found(client, desk, "no-such-person") == set()


def test_tap_checks_in_in_the_hall_and_counts(client, desk, db):
    login(client, desk.secretary)
    response = client.post(desk.url + "/check-in", json={"user_id": desk.zhang.id})
    data = response.get_json()
    assert response.status_code == 200 and data["ok"] and data["changed"] and data["name"] == "张建国"
    assert data["present"][str(desk.zhang.id)] == "hall"
    assert data["quorum"]["present"] == 1
    assert desk.present(db) == {desk.zhang.id: "hall"}
    again = client.post(desk.url + "/check-in", json={"user_id": desk.zhang.id}).get_json()
    assert again["ok"] and again["changed"] is False
    refused = client.post(desk.url + "/check-in", json={"user_id": desk.resident.id})
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_member"
    bad = client.post(desk.url + "/check-in", json={"user_id": "x"})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_payload"


def _card(desk, db, user):
    [(_, code)] = card_ops.issue_cards(desk.admin, desk.community, [user])
    db.session.commit()
    return code


def _card_in(client, desk, code):
    response = client.post(desk.url + "/check-in", json={"card_code": code})
    return response.status_code, response.get_json()


def test_card_check_in_good_unknown_other_community_and_reissued(client, desk, db, make):
    old = _card(desk, db, desk.li)
    login(client, desk.secretary)
    status, data = _card_in(client, desk, f"{old[:5].lower()}-{old[5:]}\n")   # as printed, any case
    assert status == 200 and data["name"] == "李秀英" and data["changed"]
    assert desk.present(db)[desk.li.id] == "hall"
    status, data = _card_in(client, desk, "ABCDE-FGHJK")
    assert status == 404 and data["error"]["code"] == "unknown_card"
    status, data = _card_in(client, desk, "")
    assert status == 404 and data["error"]["code"] == "no_card_code"
    # Cards of a resident of another community, and of a resident who is not a member.
    admin_elsewhere = make.user(desk.stranger.community, name="别处管理员", roles=("admin",))
    [(_, foreign)] = card_ops.issue_cards(admin_elsewhere, desk.stranger.community, [desk.stranger])
    outsider = _card(desk, db, desk.resident)
    db.session.commit()
    status, data = _card_in(client, desk, foreign)
    assert status == 404 and data["error"]["code"] == "other_community"
    status, data = _card_in(client, desk, outsider)
    assert status == 404 and data["error"]["code"] == "not_member"
    # Reissued: the old card is refused, the new one works.
    client.post(desk.url + "/undo", json={"user_id": desk.li.id})
    new = _card(desk, db, desk.li)
    assert new != old
    status, data = _card_in(client, desk, old)
    assert status == 404 and data["error"]["code"] == "unknown_card"
    status, data = _card_in(client, desk, new)
    assert status == 200 and data["changed"]


def test_card_codes_are_kept_only_as_a_keyed_hash(desk, db, app):
    code = _card(desk, db, desk.zhang)
    stored = db.session.get(User, desk.zhang.id).card_code_hash
    assert code not in stored and len(stored) == 64
    import hashlib

    assert stored != hashlib.sha256(code.encode()).hexdigest()   # not guessable without the key


def test_undo(client, desk, db):
    login(client, desk.secretary)
    client.post(desk.url + "/check-in", json={"user_id": desk.wang.id})
    response = client.post(desk.url + "/undo", json={"user_id": desk.wang.id})
    data = response.get_json()
    assert response.status_code == 200 and data["ok"] and str(desk.wang.id) not in data["present"]
    assert data["quorum"]["present"] == 0
    assert desk.wang.id not in desk.present(db)
    assert AuditEvent.query.filter_by(action="meeting.check_in_undone", object_id=desk.id).count() == 1
    again = client.post(desk.url + "/undo", json={"user_id": desk.wang.id})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_checked_in"
    stranger = client.post(desk.url + "/undo", json={"user_id": desk.resident.id})
    assert stranger.status_code == 404
    client.post("/auth/logout")
    login(client, desk.zhang)
    assert client.post(desk.url + "/undo", json={"user_id": desk.wang.id}).status_code == 403


def test_online_presence_is_not_undone(desk, db):
    from app.meetings import desk as desk_ops

    live.join_online(desk.li, desk.meeting)
    db.session.commit()
    with pytest.raises(Refused):
        desk_ops.undo_check_in(desk.secretary, desk.meeting, desk.li.id)


def test_undo_is_refused_after_the_meeting(desk, db):
    from app.meetings import desk as desk_ops

    live.check_in(desk.secretary, desk.meeting, desk.li.id)
    operations.end_meeting(desk.chair, desk.meeting)
    db.session.commit()
    with pytest.raises(Refused):
        desk_ops.undo_check_in(desk.secretary, desk.meeting, desk.li.id)


def test_api_check_in_by_card_and_by_id_and_undo(client, desk, db):
    code = _card(desk, db, desk.zhang)
    headers = {"Authorization": "Bearer " + api_token(client, desk.secretary)}
    base = f"/api/v1/meetings/{desk.id}/check-ins"
    response = client.post(base, json={"card_code": code}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["user_id"] == desk.zhang.id and response.get_json()["quorum"]["present"] == 1
    response = client.post(base, json={"user_id": desk.li.id}, headers=headers)
    assert response.status_code == 200 and response.get_json()["changed"]
    assert client.post(base, json={"card_code": "ZZZZZZZZZZ"}, headers=headers).get_json()["error"]["code"] \
        == "unknown_card"
    assert client.post(base, json={}, headers=headers).status_code == 422
    assert client.post(base, json={"user_id": 1, "card_code": code}, headers=headers).status_code == 422
    response = client.delete(f"{base}/{desk.li.id}", headers=headers)
    assert response.status_code == 200 and response.get_json()["quorum"]["present"] == 1
    assert client.delete(f"{base}/{desk.li.id}", headers=headers).status_code == 409
    member = {"Authorization": "Bearer " + api_token(client, desk.wang)}
    assert client.post(base, json={"user_id": desk.wang.id}, headers=member).status_code == 403
    outsider = {"Authorization": "Bearer " + api_token(client, desk.stranger)}
    assert client.post(base, json={"card_code": code}, headers=outsider).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/meetings/{meeting_id}/check-ins" in spec["paths"]


def test_admin_prints_a_card_and_reissuing_replaces_it(client, desk, db):
    login(client, desk.admin)
    residents = client.get(f"/c/{desk.community.id}/admin/residents").get_data(as_text=True)
    assert 'data-action="print-card"' in residents
    page = client.post(f"/c/{desk.community.id}/admin/cards", data={"user_id": desk.zhang.id})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="checkin-card"' in html and "<svg" in html
    assert "5栋2单元301室" in html and "张建国" in html
    first = db.session.get(User, desk.zhang.id).card_code_hash
    assert first
    client.post(f"/c/{desk.community.id}/admin/cards", data={"user_id": desk.zhang.id})
    db.session.expire_all()
    assert db.session.get(User, desk.zhang.id).card_code_hash != first
    # Another community's resident gets no card here.
    page = client.post(f"/c/{desk.community.id}/admin/cards", data={"user_id": desk.stranger.id})
    assert 'class="checkin-card"' not in page.get_data(as_text=True)
    client.post("/auth/logout")
    login(client, desk.secretary)
    assert client.post(f"/c/{desk.community.id}/admin/cards", data={"user_id": desk.zhang.id}).status_code == 403


def test_activation_letters_carry_the_card(client, desk, db, make):
    newcomer = make.user(desk.community, name="新居民", password=None)
    login(client, desk.admin)
    page = client.post(f"/c/{desk.community.id}/admin/letters", data={"user_id": newcomer.id})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="letter"' in html and 'class="checkin-card"' in html
    db.session.expire_all()
    assert db.session.get(User, newcomer.id).card_code_hash
