"""民意征集: staff open a poll, verified residents answer once, results published at the end."""
from datetime import timedelta

from app.core.notify import Notification
from app.core.timeutil import to_local, utcnow
from app.votes.models import Consultation, ConsultationResponse
from tests.conftest import api_token, login


def local(days):
    """A form's datetime-local value, in Beijing time, `days` from now."""
    return (to_local(utcnow()) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def create(client, community, **overrides):
    data = {"title": "加装电梯意向调查", "description": "**请选择**", "options": "同意加装\n不同意\n无所谓",
            "up_to": 1, "start": local(-1), "end": local(7), **overrides}
    return client.post(f"/c/{community.id}/consultations/new", data=data)


def close(consultation, db):
    consultation.start_dt = utcnow() - timedelta(days=2)
    consultation.end_dt = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_staff_open_residents_answer_results_at_the_end(client, make, db):
    community = make.community()
    staff = make.user(community, name="工作人员", roles=["staff"])
    alice, bob = make.user(community, name="甲"), make.user(community, name="乙")
    make.user(community, name="待审", verified=False)
    login(client, staff)
    assert create(client, community).status_code == 302
    item = Consultation.query.one()
    # Every verified resident (and only they) is told.
    told = {n.user_id for n in Notification.query}
    assert {alice.id, bob.id, staff.id} <= told and len(told) == 3
    client.post("/auth/logout")

    login(client, alice)
    url = f"/c/{community.id}/consultations/{item.id}"
    page = client.get(url).get_data(as_text=True)
    assert "同意加装" in page and 'id="result"' not in page  # no running totals for residents
    assert client.post(url, data={"choice": "0"}).status_code == 302
    assert "您已提交" in client.get(url).get_data(as_text=True)
    again = client.post(url, data={"choice": "0"})
    assert again.status_code == 302  # the same answer twice is fine
    changed = client.post(url, data={"choice": "1"})
    assert changed.status_code == 409 and "不能更改" in changed.get_data(as_text=True)
    client.post("/auth/logout")
    login(client, bob)
    client.post(url, data={"choice": "1"})
    assert ConsultationResponse.query.count() == 2

    close(item, db)
    late = client.post(url, data={"choice": "0"})
    assert late.status_code == 409 and "已经结束" in late.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert 'id="result"' in page and "应参与 3 人，实际参与 2 人" in page


def test_only_verified_residents_of_the_community_answer(client, make, db):
    community = make.community()
    other = make.community("和谐社区", street=community.street)
    staff = make.user(community, roles=["staff"])
    login(client, staff)
    create(client, community)
    item = Consultation.query.one()
    client.post("/auth/logout")
    login(client, make.user(community, verified=False))
    refused = client.post(f"/c/{community.id}/consultations/{item.id}", data={"choice": "0"})
    assert refused.status_code == 403 and "已认证的居民" in refused.get_data(as_text=True)
    client.post("/auth/logout")
    login(client, make.user(other))
    assert client.get(f"/c/{community.id}/consultations/{item.id}").status_code == 404


def test_bad_consultations_are_refused_with_reasons(client, make):
    community = make.community()
    login(client, make.user(community, roles=["staff"]))
    response = create(client, community, options="同意\n同意", end=local(-2))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "选项须各不相同" in page and "结束时间" in page
    assert "加装电梯意向调查" in page  # what was typed is kept
    assert Consultation.query.count() == 0
    login_resident = make.user(community)
    client.post("/auth/logout")
    login(client, login_resident)
    assert client.get(f"/c/{community.id}/consultations/new").status_code == 403


def test_choose_up_to_k(client, make, db):
    community = make.community()
    login(client, make.user(community, roles=["staff"]))
    create(client, community, options="绿化\n停车\n健身\n照明", up_to=2)
    item = Consultation.query.one()
    url = f"/c/{community.id}/consultations/{item.id}"
    too_many = client.post(url, data={"choice": ["0", "1", "2"]})
    assert too_many.status_code == 422 and "最多只能选 2 项" in too_many.get_data(as_text=True)
    assert client.post(url, data={"choice": ["3", "1"]}).status_code == 302
    assert ConsultationResponse.query.one().choice == "1,3"


def test_the_api(client, make, db):
    community = make.community()
    staff = make.user(community, roles=["staff"])
    resident = make.user(community)
    staff_token, token = api_token(client, staff), api_token(client, resident)
    created = client.post("/api/v1/consultations", headers={"Authorization": f"Bearer {staff_token}"},
                          json={"community_id": community.id, "title": "是否更换物业",
                                "start_dt": utcnow().isoformat() + "Z",
                                "end_dt": (utcnow() + timedelta(days=3)).isoformat() + "Z"})
    assert created.status_code == 201 and created.get_json()["options"] == {"type": "motion"}
    cid = created.get_json()["id"]
    auth = {"Authorization": f"Bearer {token}"}
    forbidden = client.post("/api/v1/consultations", headers=auth, json={
        "community_id": community.id, "title": "x", "start_dt": "2026-01-01T00:00:00Z",
        "end_dt": "2099-01-01T00:00:00Z"})
    assert forbidden.status_code == 403 and forbidden.get_json()["error"]["message"]
    bad = client.post(f"/api/v1/consultations/{cid}/responses", headers=auth, json={"choice": "maybe"})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "bad_choice"
    ok = client.post(f"/api/v1/consultations/{cid}/responses", headers=auth, json={"choice": "yes"})
    assert ok.status_code == 201 and ok.get_json()["created"] is True
    retry = client.post(f"/api/v1/consultations/{cid}/responses", headers=auth, json={"choice": "yes"})
    assert retry.get_json()["created"] is False
    conflict = client.post(f"/api/v1/consultations/{cid}/responses", headers=auth, json={"choice": "no"})
    assert conflict.status_code == 409
    detail = client.get(f"/api/v1/consultations/{cid}", headers=auth).get_json()
    assert detail["result"] is None and detail["my_choice"] == "yes"
    close(db.session.get(Consultation, cid), db)
    detail = client.get(f"/api/v1/consultations/{cid}", headers=auth).get_json()
    assert detail["result"]["counts"][0] == {"label": "赞成", "count": 1}
    listing = client.get(f"/api/v1/consultations?community_id={community.id}", headers=auth)
    assert [c["id"] for c in listing.get_json()] == [cid]
