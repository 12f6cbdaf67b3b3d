"""Residents' proposals through /api/v1/proposals: the whole loop, refusals as JSON 4xx, OpenAPI."""
import pytest

from tests.conftest import api_token
from tests.integration.test_proposals_html import world  # noqa: F401  (the same cast of people)

BODY = {"title": "3号楼加装电梯", "category": "设施维修",
        "problem": "3号楼老人多，上下楼很困难，希望加装电梯。", "suggestion": "申请加装电梯补贴，统一施工。",
        "place": "3号楼"}


class Api:
    def __init__(self, client, user):
        self.client = client
        self.headers = {"Authorization": f"Bearer {api_token(client, user)}"}

    def get(self, path, **kw):
        return self.client.get("/api/v1/proposals" + path, headers=self.headers, **kw)

    def post(self, path, json=None):
        return self.client.post("/api/v1/proposals" + path, headers=self.headers, json=json or {})


@pytest.fixture()
def api(client, world):  # noqa: F811
    def as_(user):
        return Api(client, user)
    return as_


def error(response, status):
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    assert body["code"] and body["message"]
    return body


def test_the_whole_loop_through_the_api(api, world, db):  # noqa: F811
    w = world
    author = api(w.author)
    created = author.post("", BODY)
    assert created.status_code == 201
    p = created.get_json()
    assert p["state"] == "draft" and p["allowed_actions"] == ["publish", "withdraw"]
    pid = p["id"]
    published = author.post(f"/{pid}/publish").get_json()
    assert published["state"] == "collecting" and published["deadline"]["kind"] == "window"
    assert published["deadline"]["due_dt"].endswith("+00:00")
    for n in w.neighbours:
        assert api(n).post(f"/{pid}/cosign").status_code == 200
    staff = api(w.staff)
    got = staff.get(f"/{pid}").get_json()
    assert got["state"] == "under_review" and got["cosign_count"] == 5
    assert {"accept", "decline", "merge", "escalate"} <= set(got["allowed_actions"])
    assert staff.post(f"/{pid}/review", {"decision": "accept"}).get_json()["state"] == "accepted"
    assigned = staff.post(f"/{pid}/assign", {"org_id": w.org.id}).get_json()
    assert assigned["state"] == "assigned" and assigned["handler_org"] == "阳光物业"
    handler = api(w.handler)
    queue = handler.get("", query_string={"handling": "true"}).get_json()
    assert [i["id"] for i in queue["items"]] == [pid] and queue["items"][0]["deadline"]["kind"] == "reply"
    extended = handler.post(f"/{pid}/extend", {"reason": "等待业主签字", "days": 10}).get_json()
    assert extended["is_extended"]
    answered = handler.post(f"/{pid}/answer", {"category": "B", "body": "已列入明年计划。"}).get_json()
    assert answered["state"] == "answered" and answered["replies"][0]["category_label"] == "正在解决或已列入计划"
    # A co-signer's rating is shown but moves nothing; a stranger to it cannot rate.
    cosigner = api(w.neighbours[0])
    rated = cosigner.post(f"/{pid}/cosigner-rating", {"rating": "satisfied"}).get_json()
    assert rated["state"] == "answered" and rated["cosigner_ratings"] == {"满意": 1}
    assert error(staff.post(f"/{pid}/cosigner-rating", {"rating": "satisfied"}), 403)
    again = author.post(f"/{pid}/rate", {"rating": "unsatisfied"}).get_json()
    assert again["state"] == "assigned" and again["rehandle_count"] == 1
    handler.post(f"/{pid}/answer", {"category": "A", "body": "电梯已开工。"})
    closed = author.post(f"/{pid}/rate", {"rating": "basically_satisfied"}).get_json()
    assert closed["state"] == "closed" and closed["rating"] == "basically_satisfied"
    assert [r["rating"] for r in closed["replies"]] == ["unsatisfied", "basically_satisfied"]
    trail = [(e["action"], e["from_state"], e["to_state"]) for e in closed["timeline"]]
    assert ("proposal.accept", "under_review", "accepted") in trail
    assert ("proposal.rate", "answered", "assigned") in trail and trail[-1][2] == "closed"
    # Comments, follow, list and search.
    resident = api(w.neighbours[0])
    assert resident.post(f"/{pid}/comments", {"body": "终于装上了"}).status_code == 201
    assert [c["body"] for c in resident.get(f"/{pid}/comments").get_json()] == ["终于装上了"]
    listing = resident.get("", query_string={"q": "电梯"}).get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == pid
    assert resident.get("", query_string={"state": "closed"}).get_json()["total"] == 1
    assert resident.get("", query_string={"state": "collecting"}).get_json()["total"] == 0
    similar = resident.get("/similar", query_string={"q": "加装电梯补贴"}).get_json()
    assert [s["id"] for s in similar] == [pid]
    # Closed: not offered for co-signing, but linked to its answer.
    assert similar[0]["can_cosign"] is False and similar[0]["url"].endswith(f"/{pid}#replies")


def test_api_refusals_are_json_4xx_with_a_message(api, world, db):  # noqa: F811
    w = world
    author = api(w.author)
    assert error(author.post("", {"title": "x"}), 422)["details"]
    bad_category = author.post("", BODY | {"category": "不存在"})
    assert "类别" in error(bad_category, 422)["message"]
    pid = author.post("", BODY).get_json()["id"]
    assert error(api(w.neighbours[0]).get(f"/{pid}"), 404)  # a draft is the author's alone
    author.post(f"/{pid}/publish")
    assert error(author.post(f"/{pid}/cosign"), 403)["code"] == "not_allowed"
    assert error(api(w.unverified).post(f"/{pid}/cosign"), 403)["message"].startswith("请先完成")
    resident = api(w.neighbours[0])
    resident.post(f"/{pid}/cosign")
    assert error(resident.post(f"/{pid}/cosign"), 409)["code"] == "already_cosigned"
    assert error(resident.post(f"/{pid}/review", {"decision": "accept"}), 409)["code"] == "wrong_state"
    staff = api(w.staff)
    staff.post(f"/{pid}/take-to-review")
    assert error(resident.post(f"/{pid}/review", {"decision": "accept"}), 403)["code"] == "not_allowed"
    assert error(staff.post(f"/{pid}/review", {"decision": "decline"}), 422)["code"] == "ground_required"
    assert error(staff.post(f"/{pid}/review", {"decision": "decline", "ground": "advertising"}),
                 422)["code"] == "reason_required"
    assert error(staff.post(f"/{pid}/review", {"decision": "maybe"}), 422)
    assert error(staff.post(f"/{pid}/review", {"decision": "merge", "target_id": 999}), 422)
    assert error(staff.post(f"/{pid}/escalate", {}), 422)["code"] == "reason_required"
    outsider = api(w.outsider)
    # Published means public, as on the proposal's page; acting on it is for insiders.
    assert outsider.get(f"/{pid}").status_code == 200
    assert error(outsider.post(f"/{pid}/review", {"decision": "accept"}), 404)
    assert error(outsider.get("", query_string={"community_id": w.c.id}), 404)
    assert error(author.get("/999999"), 404)
    staff.post(f"/{pid}/review", {"decision": "accept"})
    assert error(staff.post(f"/{pid}/assign", {"org_id": w.other_org.id}), 422)["code"] == "handler_required"
    assert error(staff.post(f"/{pid}/assign", {"org_id": w.org.id, "days": 31}), 422)["code"] == "invalid_days"
    staff.post(f"/{pid}/assign", {"org_id": w.org.id})
    handler = api(w.handler)
    assert error(handler.post(f"/{pid}/answer", {"category": "C", "body": "暂时没有经费。"}),
                 422)["code"] == "reason_required"
    assert error(author.post(f"/{pid}/answer", {"category": "A", "body": "我自己答复一下"}), 403)
    assert error(author.post(f"/{pid}/rate", {"rating": "satisfied"}), 409)
    # Returning a wrong assignment: allowed within 5 days, then it can be assigned again.
    assert handler.post(f"/{pid}/return", {"reason": "不归我们管"}).get_json()["state"] == "accepted"
    no_token = author.client.post(f"/api/v1/proposals/{pid}/publish")
    assert error(no_token, 401)


def test_openapi_documents_the_proposal_endpoints(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path in ("/api/v1/proposals", "/api/v1/proposals/{proposal_id}",
                 "/api/v1/proposals/{proposal_id}/cosign", "/api/v1/proposals/{proposal_id}/review",
                 "/api/v1/proposals/{proposal_id}/assign", "/api/v1/proposals/{proposal_id}/answer",
                 "/api/v1/proposals/{proposal_id}/rate", "/api/v1/proposals/{proposal_id}/comments"):
        assert path in paths, path
    review = paths["/api/v1/proposals/{proposal_id}/review"]["post"]
    assert review["security"] == [{"bearerAuth": []}]
    assert {"403", "404", "409", "422"} <= set(review["responses"])


# Who may do what to a proposal under review: role × endpoint → status. Refusals change nothing,
# so one proposal serves the whole matrix; the allowed cells run last.
MATRIX = {
    # endpoint: (method, path, body, {role: status})
    "get": ("get", "", None, {"author": 200, "resident": 200, "unverified": 200, "staff": 200,
                              "handler": 200, "outsider": 200, "anonymous": 200}),
    "cosign": ("post", "/cosign", None, {"author": 409, "resident": 409, "unverified": 409,
                                          "staff": 409, "handler": 404, "outsider": 404,
                                          "anonymous": 401}),
    "answer": ("post", "/answer", {"category": "A", "body": "答复的内容在这里"},
               {"author": 409, "resident": 409, "staff": 409, "outsider": 404, "anonymous": 401}),
    "decline": ("post", "/review", {"decision": "decline", "ground": "advertising", "reason": "广告"},
                {"author": 403, "resident": 403, "unverified": 403, "handler": 404,
                 "outsider": 404, "anonymous": 401}),
    "escalate": ("post", "/escalate", {"reason": "公共资金"},
                 {"author": 403, "resident": 403, "outsider": 404, "anonymous": 401}),
    "hide": ("post", "/comments/1/hide", {"reason": "x"}, {"outsider": 404, "anonymous": 401}),
    "accept": ("post", "/review", {"decision": "accept"}, {"staff": 200}),
}


def test_permission_matrix(api, world, client, db):  # noqa: F811
    w = world
    people = {"author": w.author, "resident": w.neighbours[0], "unverified": w.unverified,
              "staff": w.staff, "handler": w.handler, "outsider": w.outsider}
    callers = {role: api(user) for role, user in people.items()}
    pid = callers["author"].post("", BODY).get_json()["id"]
    callers["author"].post(f"/{pid}/publish")
    callers["staff"].post(f"/{pid}/take-to-review")
    for name, (method, path, body, expected) in MATRIX.items():
        for role, status in expected.items():
            if role == "anonymous":
                response = getattr(client, method)(f"/api/v1/proposals/{pid}{path}", json=body)
            elif method == "get":
                response = callers[role].get(f"/{pid}{path}")
            else:
                response = callers[role].post(f"/{pid}{path}", body)
            assert response.status_code == status, (name, role, response.get_json())
            if status >= 400:
                assert response.get_json()["error"]["message"], (name, role)
