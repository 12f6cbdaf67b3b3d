"""承办单位: street admins manage every organisation, community admins their own, nobody else."""
from app.community.models import HandlerKind, HandlerMember, HandlerOrg
from app.core.audit import AuditEvent
from tests.conftest import login


def test_street_admin_creates_an_org_and_adds_a_person(client, make, db):
    a = make.community()
    boss = make.user(None, name="街道", street_admin_of=a.street)
    worker = make.user(a, name="物业小王")
    login(client, boss)
    page = client.get(f"/street/{a.street.id}/handlers")
    assert page.status_code == 200 and "全街道" in page.get_data(as_text=True)
    client.post(f"/street/{a.street.id}/handlers",
                data={"name": "阳光物业", "kind": "property", "community_id": a.id})
    org = HandlerOrg.query.filter_by(name="阳光物业").one()
    assert org.kind is HandlerKind.PROPERTY and org.community_id == a.id
    dup = client.post(f"/street/{a.street.id}/handlers",
                      data={"name": "阳光物业", "kind": "property", "community_id": a.id})
    assert dup.status_code == 409 and "已有名为" in dup.get_data(as_text=True)
    client.post(f"/street/{a.street.id}/handlers/{org.id}/people", data={"phone": worker.phone})
    assert org.has_member(worker)
    assert "物业小王" in client.get(f"/street/{a.street.id}/handlers").get_data(as_text=True)
    assert {e.action for e in AuditEvent.query} >= {"handler_org.created", "handler_org.person_added"}
    link = HandlerMember.query.one()
    client.post(f"/street/{a.street.id}/handlers/{org.id}/people/{link.id}/remove")
    assert HandlerMember.query.count() == 0


def test_community_admin_sees_only_their_orgs(client, make, db):
    a = make.community("阳光社区")
    b = make.community("和谐社区", street=a.street)
    db.session.add_all([
        HandlerOrg(street=a.street, community_id=a.id, kind=HandlerKind.PROPERTY, name="A物业"),
        HandlerOrg(street=a.street, community_id=b.id, kind=HandlerKind.PROPERTY, name="B物业"),
    ])
    db.session.commit()
    admin_a = make.user(a, roles=["admin"])
    login(client, admin_a)
    page = client.get(f"/street/{a.street.id}/handlers").get_data(as_text=True)
    assert "A物业" in page and "B物业" not in page
    b_org = HandlerOrg.query.filter_by(name="B物业").one()
    response = client.post(f"/street/{a.street.id}/handlers/{b_org.id}/people", data={"phone": admin_a.phone})
    assert response.status_code == 404
    # A community admin cannot create a street-wide organisation.
    client.post(f"/street/{a.street.id}/handlers", data={"name": "街道科", "kind": "street_dept", "community_id": 0})
    assert HandlerOrg.query.filter_by(name="街道科").count() == 0


def test_residents_cannot_manage_handlers(client, make):
    a = make.community()
    login(client, make.user(a))
    assert client.get(f"/street/{a.street.id}/handlers").status_code == 403
