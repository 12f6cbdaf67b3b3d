"""Who may open which page: one matrix of role × endpoint → status, and no crossing communities."""
import pytest

from tests.conftest import api_token, login


@pytest.fixture()
def world(make):
    a = make.community("阳光社区")
    b = make.community("和谐社区", street=a.street)
    people = {
        "anonymous": None,
        "resident": make.user(a, name="居民"),
        "pending": make.user(a, name="待审", verified=False),
        "staff": make.user(a, name="工作人员", roles=["staff"]),
        "admin": make.user(a, name="管理员", roles=["admin"]),
        "admin_b": make.user(b, name="B管理员", roles=["admin"]),
        "street_admin": make.user(None, name="街道", street_admin_of=a.street),
    }
    return a, b, people


# Paths are formatted with {a} (the community of the caller) and {street}.
PAGES = [
    "/c/{a}/admin/residents",
    "/c/{a}/admin/bodies",
    "/c/{a}/admin/import",
    "/c/{a}/admin/audit",
    "/c/{a}/admin/audit.csv",
]
EXPECTED = {
    "anonymous": 302,      # to the login page
    "resident": 403,
    "pending": 403,
    "staff": 403,          # staff work on proposals; residents and bodies are the admin's
    "admin": 200,
    "admin_b": 404,        # another community's pages do not exist for them
    "street_admin": 200,   # every community of the street
}


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", list(EXPECTED))
def test_admin_pages(client, world, role, path):
    a, b, people = world
    if people[role]:
        login(client, people[role])
    response = client.get(path.format(a=a.id))
    assert response.status_code == EXPECTED[role], (role, path)


@pytest.mark.parametrize("role, status", [("anonymous", 302), ("resident", 200), ("staff", 200),
                                          ("admin_b", 404), ("street_admin", 200)])
def test_community_home(client, world, role, status):
    a, b, people = world
    if people[role]:
        login(client, people[role])
    assert client.get(f"/c/{a.id}/").status_code == status


@pytest.mark.parametrize("role, status", [("resident", 403), ("admin", 403), ("street_admin", 200)])
def test_street_overview(client, world, role, status):
    a, b, people = world
    login(client, people[role])
    assert client.get(f"/street/{a.street.id}/").status_code == status


def test_admin_of_b_cannot_act_on_a(client, world, db):
    a, b, people = world
    pending = people["pending"]
    login(client, people["admin_b"])
    assert client.post(f"/c/{a.id}/admin/residents/{pending.id}/verify").status_code == 404
    # Nor by naming A's resident under B's address.
    assert client.post(f"/c/{b.id}/admin/residents/{pending.id}/verify").status_code == 404
    db.session.expire_all()
    assert not pending.is_verified
    body = a.body_by_preset("two_committees")
    assert client.post(f"/c/{b.id}/admin/bodies/{body.id}/members",
                       data={"phone": pending.phone, "role": "member"}).status_code == 404


def test_body_rule_change_within_the_law_is_audited(client, world, db):
    a, b, people = world
    login(client, people["admin"])
    body = a.body_by_preset("party_members_assembly")
    url = f"/c/{a.id}/admin/bodies/{body.id}"
    too_short = client.post(url, data={"quorum": ">=2/3", "majority_base": "members", "notice_days": 1})
    assert too_short.status_code == 422 and "不能少于法定的 3 天" in too_short.get_data(as_text=True)
    not_allowed = client.post(url, data={"quorum": ">1/3", "majority_base": "members", "notice_days": 3})
    assert not_allowed.status_code == 422
    ok = client.post(url, data={"quorum": ">=2/3", "majority_base": "members", "notice_days": 5})
    assert ok.status_code == 302
    db.session.expire_all()
    assert body.quorum == ">=2/3" and body.notice_days == 5
    from app.core.audit import AuditEvent

    event = AuditEvent.query.filter_by(action="body.rule_changed").one()
    assert event.data["before"]["quorum"] == ">1/2" and event.data["after"]["quorum"] == ">=2/3"
    assert event.actor_id == people["admin"].id


def test_members_are_added_only_from_the_community(client, world, db):
    a, b, people = world
    login(client, people["admin"])
    body = a.body_by_preset("representatives_assembly")
    url = f"/c/{a.id}/admin/bodies/{body.id}/members"
    client.post(url, data={"phone": people["admin_b"].phone, "role": "member", "is_voting": "y"})
    assert not body.is_member(people["admin_b"])
    client.post(url, data={"phone": people["resident"].phone, "role": "member", "is_voting": "y"})
    db.session.expire_all()
    assert body.is_member(people["resident"])


def test_api_me_is_the_callers_own(client, world):
    a, b, people = world
    token = api_token(client, people["admin_b"])
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["community_id"] == b.id and me["roles"] == [
        {"kind": "admin", "community_id": b.id, "street_id": None}]


def test_admin_changes_a_members_role_and_vote_from_the_body_page(client, world, db):
    a, b, people = world
    body = a.body_by_preset("two_committees")
    from app.community.models import MemberRole, Membership

    membership = Membership(body=body, user=people["resident"])
    db.session.add(membership)
    db.session.commit()
    login(client, people["admin"])
    url = f"/c/{a.id}/admin/bodies/{body.id}/members/{membership.id}"
    assert url in client.get(f"/c/{a.id}/admin/bodies/{body.id}").get_data(as_text=True)
    client.post(url, data={"role": "chair"})  # the box unticked: no vote
    db.session.expire_all()
    assert membership.role is MemberRole.CHAIR and membership.is_voting is False
    # Another community's admin cannot.
    client.post("/auth/logout")
    login(client, people["admin_b"])
    assert client.post(url, data={"role": "member", "is_voting": "y"}).status_code == 404
