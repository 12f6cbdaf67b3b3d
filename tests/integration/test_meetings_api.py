"""Meetings in the JSON API: create, agenda, announce, with JSON 4xx errors."""
from datetime import timedelta, timezone

import pytest

from app.core.timeutil import utcnow
from tests.conftest import api_token


def iso(dt):
    return dt.replace(tzinfo=timezone.utc).astimezone(timezone(timedelta(hours=8))).isoformat()


@pytest.fixture()
def setup(make, client):
    community = make.community()
    body = community.body_by_preset("two_committees")   # 1 day's notice
    chair, member = make.user(community, name="主持人"), make.user(community, name="委员")
    make.member(body, chair, role="chair")
    make.member(body, member)
    return body, chair, member


def auth(client, user):
    return {"Authorization": f"Bearer {api_token(client, user)}"}


def test_create_agenda_announce(client, setup):
    body, chair, member = setup
    headers = auth(client, chair)
    start = utcnow() + timedelta(days=2)
    response = client.post("/api/v1/meetings", headers=headers, json={
        "body_id": body.id, "title": "两委联席会议", "start_dt": iso(start), "mode": "hybrid",
        "items": [{"title": "预算"}]})
    assert response.status_code == 201, response.get_json()
    meeting = response.get_json()
    assert meeting["state"] == "draft" and meeting["start_dt"].endswith("+00:00")
    assert [i["title"] for i in meeting["items"]] == ["预算"]
    url = f"/api/v1/meetings/{meeting['id']}"
    response = client.post(url + "/agenda", headers=headers, json={"title": "绿化", "proposal_id": 12})
    assert response.status_code == 201 and response.get_json()["kind"] == "proposal"
    agenda = client.get(url + "/agenda", headers=headers).get_json()
    assert [(i["position"], i["title"]) for i in agenda] == [(0, "预算"), (1, "绿化")]
    refused = client.post(url + "/announce", headers=auth(client, member), json={"notice_text": "改掉"})
    assert refused.status_code == 404   # a draft is the organisers' alone
    assert client.get(url, headers=headers).get_json()["notice_text"] is None
    response = client.post(url + "/announce", headers=headers, json={"notice_text": "请准时"})
    assert response.status_code == 200 and response.get_json()["state"] == "announced"
    assert response.get_json()["notice_text"] == "请准时"
    response = client.post(url + "/announce", headers=headers, json={})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "wrong_state"
    response = client.post(url + "/agenda", headers=auth(client, member), json={"title": "x"})
    assert response.status_code == 403
    assert client.get(url, headers=auth(client, member)).get_json()["state"] == "announced"


def test_errors_are_json(client, setup, make):
    body, chair, member = setup
    headers = auth(client, chair)
    assert client.post("/api/v1/meetings", json={}).status_code == 401
    response = client.post("/api/v1/meetings", headers=headers, json={"body_id": body.id})
    assert response.status_code == 422 and "title" in response.get_json()["error"]["details"]["json"]
    response = client.post("/api/v1/meetings", headers=headers, json={
        "body_id": body.id, "title": "x", "start_dt": "2026-12-01T09:00:00"})   # no time zone
    assert response.status_code == 422
    response = client.post("/api/v1/meetings", headers=auth(client, member), json={
        "body_id": body.id, "title": "x", "start_dt": iso(utcnow() + timedelta(days=3))})
    assert response.status_code == 403 and response.get_json()["error"]["message"]
    stranger = make.user(make.community(name="别处"))
    response = client.post("/api/v1/meetings", headers=auth(client, stranger), json={
        "body_id": body.id, "title": "x", "start_dt": iso(utcnow() + timedelta(days=3))})
    assert response.status_code == 404
    start = utcnow() + timedelta(hours=5)
    created = client.post("/api/v1/meetings", headers=headers, json={
        "body_id": body.id, "title": "太急", "start_dt": iso(start), "items": [{"title": "a"}]}).get_json()
    response = client.post(f"/api/v1/meetings/{created['id']}/announce", headers=headers, json={})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "notice_too_short" and "须提前 1 天通知" in error["message"]
    assert client.get("/api/v1/meetings/99999", headers=headers).status_code == 404
    assert client.get(f"/api/v1/meetings/{created['id']}", headers=auth(client, stranger)).status_code == 404


def test_openapi_documents_meetings(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/meetings", "/api/v1/meetings/{meeting_id}/announce",
            "/api/v1/meetings/{meeting_id}/agenda"} <= set(paths)
