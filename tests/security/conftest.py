"""Fixtures for the attack tests, on top of tests/conftest.py (app, db, make, login, live_server...).

`people`: one person for every role of permission_matrix.ROLES in one community (A), plus a
person of another community of the same street (B); `live_room`: a live meeting of their body;
`client_for(role)`: a test client logged in as that role; `furnished(say)`: the community filled by
its users through the operations, every text from `say` (site.py `furnish`).
"""
import pytest
from flask import g
from flask.testing import FlaskClient

from tests.conftest import login
from tests.security import permission_matrix as pm
from tests.security.site import furnish, open_live_meeting, settle


class FreshClient(FlaskClient):
    """Requests of a test share the test's app context: forget who logged in before each one."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


class People:
    def __init__(self, make, db):
        from app.community.models import HandlerKind, HandlerMember, HandlerOrg

        self.community = make.community("阳光社区")
        self.street = self.community.street
        self.other = make.community("和谐社区", street=self.street)
        self.body = self.community.body_by_preset("two_committees")
        self.users = {
            pm.ANONYMOUS: None,
            pm.RESIDENT: make.user(self.community, name="待审居民", verified=False, room="102"),
            pm.VERIFIED: make.user(self.community, name="居民", room="103"),
            pm.MEMBER: make.user(self.community, name="委员", room="104"),
            pm.SECRETARY: make.user(self.community, name="记录员", room="105"),
            pm.CHAIR: make.user(self.community, name="主持人", room="106"),
            pm.STAFF: make.user(self.community, name="工作人员", roles=["staff"], room="107"),
            pm.ADMIN: make.user(self.community, name="管理员", roles=["admin"], room="108"),
            pm.STREET_ADMIN: make.user(None, name="街道管理员", street_admin_of=self.street),
            pm.HANDLER: make.user(None, name="物业小陈"),
        }
        self.outsider = make.user(self.other, name="外社区居民")
        make.member(self.body, self.users[pm.MEMBER])
        make.member(self.body, self.users[pm.SECRETARY], role="secretary")
        make.member(self.body, self.users[pm.CHAIR], role="chair")
        self.org = HandlerOrg(street=self.street, community=self.community, kind=HandlerKind.PROPERTY,
                              name="阳光物业")
        db.session.add(self.org)
        db.session.add(HandlerMember(org=self.org, user=self.users[pm.HANDLER]))
        db.session.commit()

    def __getitem__(self, role):
        return self.users[role]


@pytest.fixture()
def people(make, db):
    return People(make, db)


@pytest.fixture()
def client_for(app, people):
    """client_for(role) -> a client logged in as that role (anonymous: not logged in)."""

    def build(role):
        client = FreshClient(app, app.response_class, use_cookies=True)
        if people[role] is not None:
            login(client, people[role])
        return client

    return build


@pytest.fixture()
def live_room(people, db):
    return open_live_meeting(people, db)


@pytest.fixture()
def furnished(people, make, db):
    yield lambda say: furnish(people, make, db, say)
    settle()
