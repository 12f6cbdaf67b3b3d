"""Meeting pages: create, agenda, announce (notice period in words), hall check-in, minutes, convening."""
from datetime import timedelta

import pytest

from app.core.timeutil import to_local, utcnow
from tests.conftest import login
from tests.integration.live_helpers import Meeting


def _local(dt):
    return to_local(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture()
def people(make):
    community = make.community()
    body = community.body_by_preset("representatives_assembly")   # 3 days' notice
    chair, member = make.user(community, name="主持人"), make.user(community, name="代表")
    make.member(body, chair, role="chair")
    make.member(body, member)
    return community, body, chair, member


def _create(client, body, start):
    return client.post(f"/c/{body.community_id}/meetings/new", data={
        "body_id": body.id, "title": "年度预算会议", "start": _local(start), "place": "活动室",
        "mode": "hybrid", "speaker_limit": 3, "notice_text": ""})


def test_create_add_items_and_announce(client, people, db):
    community, body, chair, member = people
    login(client, chair)
    assert client.get(f"/c/{community.id}/meetings/new").status_code == 200
    response = _create(client, body, utcnow() + timedelta(days=4))
    assert response.status_code == 302
    url = response.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    assert "年度预算会议" in page and "草稿" in page
    assert client.post(url + "/items", data={"title": "预算草案", "description": "**重点**"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "预算草案" in page and "<strong>重点</strong>" in page
    response = client.post(url + "/announce", data={"notice_text": "请准时参加"}, follow_redirects=True)
    assert "会议通知已发出" in response.get_data(as_text=True)
    from app.core.notify import Notification

    assert Notification.query.filter_by(user_id=member.id).count() == 1
    assert "已通知" in client.get(url).get_data(as_text=True)


def test_announce_inside_the_notice_period_is_refused_in_words(client, people, db):
    community, body, chair, member = people
    login(client, chair)
    url = _create(client, body, utcnow() + timedelta(days=1)).headers["Location"]
    client.post(url + "/items", data={"title": "预算"})
    response = client.post(url + "/announce", data={})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "居民代表会议须提前 3 天通知" in page and "还差" in page
    assert "草稿" in page


def test_members_may_not_create_and_strangers_see_nothing(client, people, make, db):
    community, body, chair, member = people
    login(client, member)
    assert client.get(f"/c/{community.id}/meetings/new").status_code == 403
    client.post("/auth/logout")
    stranger = make.user(make.community(name="别处"))
    login(client, stranger)
    assert client.get(f"/c/{community.id}/meetings").status_code == 404


def test_room_and_projector_pages(client, make, db):
    room = Meeting(make, db)
    login(client, room.members[0])
    page = client.get(f"/meetings/{room.id}/room").get_data(as_text=True)
    assert 'data-meeting-id="%d"' % room.id in page and "js/room.js" in page and "style=" not in page
    assert client.get(f"/meetings/{room.id}/projector").status_code == 403
    client.post("/auth/logout")
    login(client, room.secretary)
    page = client.get(f"/meetings/{room.id}/projector").get_data(as_text=True)
    assert "<svg" in page and "<meter" in page and "style=" not in page
    assert client.get(f"/meetings/{room.id}/qr.svg").mimetype == "image/svg+xml"


def test_hall_check_in_by_qr(client, make, db):
    from app.meetings import live, workflow

    room = Meeting(make, db)
    token = live.current_hall_token(room.meeting)
    login(client, room.members[0])
    response = client.post(f"/meetings/{room.id}/checkin", data={"t": token})
    assert response.status_code == 409 and "尚未开始" in response.get_data(as_text=True)
    room.start(db)
    assert "我在会场" in client.get(f"/meetings/{room.id}/checkin?t={token}").get_data(as_text=True)
    stale = workflow.hall_token(room.meeting.hall_secret, room.id, utcnow() - timedelta(minutes=10))
    response = client.post(f"/meetings/{room.id}/checkin", data={"t": stale})
    assert response.status_code == 422 and "二维码已过期" in response.get_data(as_text=True)
    assert client.post(f"/meetings/{room.id}/checkin", data={"t": token}).status_code == 302
    from app.meetings.models import Attendance

    row = Attendance.query.filter_by(meeting_id=room.id, user_id=room.members[0].id).one()
    assert row.mode.value == "hall"
    client.post("/auth/logout")
    login(client, room.resident)   # same community, not a member
    assert client.post(f"/meetings/{room.id}/checkin", data={"t": token}).status_code == 404


def test_minutes_notes_lock_and_signatures(client, make, db):
    from app.meetings import live, operations

    room = Meeting(make, db)
    room.start(db)
    for user in (room.chair, room.secretary, room.members[0]):
        live.join_online(user, room.meeting)
    db.session.commit()
    login(client, room.secretary)
    url = f"/meetings/{room.id}/minutes"
    assert client.post(url, data={"notes": "会议决定：**增加绿化**"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "草稿" in page and "<strong>增加绿化</strong>" in page and "成员0" in page
    # The minutes keep their headings (title, sections, items) on screen and on paper.
    assert "<h3>两委联席会议纪要：月度例会</h3>" in page
    assert "<h4>议程与发言</h4>" in page and "<h5>1. 预算</h5>" in page
    assert client.post(url + "/sign").status_code == 303     # not ended yet: refused
    operations.end_meeting(room.chair, room.meeting)
    db.session.commit()
    assert client.post(url, data={"notes": "改一改"}).status_code == 409   # locked
    assert client.post(url + "/sign").status_code == 302
    assert room.meeting.state.value == "ended"           # the chair has not signed yet
    client.post("/auth/logout")
    login(client, room.members[1])                        # absent: may not sign
    assert 'id="sign-minutes"' not in client.get(url).get_data(as_text=True)
    client.post("/auth/logout")
    login(client, room.chair)
    assert client.post(url + "/sign").status_code == 302
    db.session.expire_all()
    assert room.meeting.state.value == "minutes_signed"
    page = client.get(url).get_data(as_text=True)
    assert "纪要已签署完成" in page and "记录员" in page and "js-print" in page


def test_request_to_convene_becomes_due_and_is_answered(client, make, db):
    from app.core.notify import Notification
    from app.meetings import operations
    from app.meetings.models import ConveneRequest

    community = make.community()
    body = community.body_by_preset("representatives_assembly")
    admin = make.user(community, roles=["admin"], name="管理员")
    chair = make.user(community, name="主任")
    make.member(body, chair, role="chair")
    reps = [make.user(community, name=f"代表{i}") for i in range(9)]
    for rep in reps:
        make.member(body, rep)
    login(client, reps[0])   # 10 voting members: 1/5 is 2
    response = client.post(f"/c/{community.id}/convene", data={"body_id": body.id, "subject": "加装电梯"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已有 1 名居民代表提议" in page and "还差 1" in page
    request = ConveneRequest.query.one()
    assert not request.is_due
    client.post("/auth/logout")
    login(client, reps[1])
    assert client.post(f"/c/{community.id}/convene/{request.id}/join").status_code == 302
    db.session.expire_all()
    assert request.is_due
    assert {n.user_id for n in Notification.query} >= {admin.id, chair.id}
    assert "应当召开的会议" in client.get(f"/c/{community.id}/meetings").get_data(as_text=True)
    client.post("/auth/logout")
    outsider = make.user(community, name="非代表")
    login(client, outsider)
    response = client.post(f"/c/{community.id}/convene/{request.id}/join", follow_redirects=True)
    assert "只有该组织的成员" in response.get_data(as_text=True)
    meeting = operations.create_meeting(chair, body, title="电梯", start_dt=utcnow() + timedelta(days=5))
    operations.add_item(chair, meeting, title="加装电梯")
    operations.announce(chair, meeting)
    db.session.commit()
    db.session.expire_all()
    assert not request.is_due and request.meeting_id == meeting.id


def test_a_resident_with_no_meeting_to_attend_is_told_where_decisions_are_published(client, people, make, db):
    community = people[0]
    login(client, make.user(community))
    page = client.get(f"/c/{community.id}/meetings").get_data(as_text=True)
    assert "暂无您可以参加或旁听的会议" in page
    assert f'href="/notice/?community={community.id}"' in page


def _meetings(db, body, states, days):
    from app.meetings.models import Meeting as Row

    rows = [Row(community_id=body.community_id, body_id=body.id, title=f"会议{i}", state=state,
                start_dt=utcnow() + timedelta(days=days + i)) for i, state in enumerate(states)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_the_list_shows_what_each_may_see_upcoming_first_and_the_past_paged(make, db):
    """The list's SQL filter agrees with `Meeting.can_view` for each kind of person."""
    from app.meetings import operations
    from app.meetings.models import MeetingMember
    from app.meetings.workflow import MeetingState as S

    community = make.community()
    branch = community.body_by_preset("party_branch_committee")   # not public
    assembly = community.body_by_preset("residents_assembly")     # public
    chair, member, former = (make.user(community, name=n) for n in ("书记", "委员", "前委员"))
    resident, staff = make.user(community, name="居民"), make.user(community, name="社工", roles=["staff"])
    make.member(branch, chair, role="chair")
    make.member(branch, member)
    states = [S.DRAFT, S.ANNOUNCED, S.LIVE, S.ENDED, S.MINUTES_SIGNED, S.CANCELLED]
    made = (_meetings(db, branch, states * 8, -60) + _meetings(db, assembly, states, -90)
            + _meetings(db, branch, [S.ANNOUNCED, S.DRAFT], 5))
    db.session.add(MeetingMember(meeting_id=made[4].id, user_id=former.id))   # in the snapshot only
    db.session.commit()
    for user in (chair, member, former, resident, staff):
        upcoming, past = operations.meetings_of(user, community)
        pages = [past.items] + [operations.meetings_of(user, community, page=n)[1].items
                                for n in range(2, past.pages + 1)]
        listed = [m.id for m in upcoming] + [m.id for items in pages for m in items]
        db.session.expire_all()
        visible = {m.id for m in made if m.can_view(user)}
        assert sorted(listed) == sorted(visible), user.name
        assert all(m.state in operations.UNDER_WAY for m in upcoming)
        starts = [m.start_dt for items in pages for m in items]
        assert starts == sorted(starts, reverse=True)
    assert len(operations.meetings_of(staff, community)[1].items) == operations.PAST_PER_PAGE


def test_the_past_meetings_are_paged(client, make, db):
    from app.meetings.workflow import MeetingState as S

    community = make.community()
    assembly = community.body_by_preset("residents_assembly")
    _meetings(db, assembly, [S.MINUTES_SIGNED] * 25, -100)
    _meetings(db, assembly, [S.ANNOUNCED], 10)
    login(client, make.user(community))
    first = client.get(f"/c/{community.id}/meetings").get_data(as_text=True)
    second = client.get(f"/c/{community.id}/meetings?page=2").get_data(as_text=True)

    def count(page, section):
        return page.split(f'id="{section}"')[1].split("</ul>")[0].count("<li>")

    assert count(first, "upcoming-meetings") == 1 and count(first, "past-meetings") == 20
    assert 'rel="next"' in first
    assert count(second, "past-meetings") == 5 and 'rel="prev"' in second
