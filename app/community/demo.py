"""A demo street: two communities with residents in households, every body, every role."""
import random

from werkzeug.security import generate_password_hash

from app.auth.models import RoleKind, User, UserState
from app.community.models import (
    Body, Community, CommunityRole, HandlerKind, HandlerMember, HandlerOrg, Household,
    MemberRole, Membership, Street,
)
from app.community.rules import PRESETS
from app.core import audit
from app.core.timeutil import utcnow
from app.extensions import db

DEMO_PASSWORD = "yishi2026"

# (phone, name, what the login is for) — listed in the README.
DEMO_LOGINS = [
    ("13900000001", "赵街道", "street_admin"),
    ("13900000002", "钱管理", "admin"),
    ("13900000003", "孙委员", "staff"),
    ("13900000004", "李主持", "chair"),
    ("13900000005", "周记录", "secretary"),
    ("13900000006", "吴代表", "representative"),
    ("13900000007", "郑党员", "party_member"),
    ("13900000008", "王居民", "resident"),
    ("13900000009", "冯待审", "pending"),
    ("13900000010", "陈物业", "handler"),
    ("13900000011", "褚管理", "admin_b"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华玉兰志强海燕红梅春梅德明淑珍桂兰凤英文博子涵浩然雨欣梓轩一诺欣怡思远"

def is_empty():
    return db.session.query(Street.id).first() is None


def seed(residents_per_community=200, seed_value=2026):
    """Create the demo street. Deterministic, so the README's logins always work."""
    rng = random.Random(seed_value)
    password_hash = generate_password_hash(DEMO_PASSWORD)  # one hash for every demo account
    street = Street(name="幸福街道")
    db.session.add(street)
    communities = [Community(street=street, name="阳光社区"), Community(street=street, name="和谐社区")]
    db.session.add_all(communities)
    db.session.flush()

    logins = {}
    for phone, name, key in DEMO_LOGINS:
        user = User(phone=phone, name=name, password_hash=password_hash,
                    state=UserState.PENDING if key == "pending" else UserState.VERIFIED,
                    community=communities[1] if key == "admin_b" else communities[0],
                    verified_dt=None if key == "pending" else utcnow())
        db.session.add(user)
        logins[key] = user

    for index, community in enumerate(communities):
        people = _residents(community, index, rng, password_hash, residents_per_community)
        if index == 0:
            # The demo logins live in the first community's households too.
            local = [u for k, u in logins.items() if k not in ("admin_b", "street_admin", "handler")]
            for offset, user in enumerate(local):
                user.household = people[offset * 3].household
            _bodies(community, people, logins, rng)
        else:
            _bodies(community, people, None, rng)
    db.session.add_all([
        CommunityRole(user=logins["street_admin"], street=street, kind=RoleKind.STREET_ADMIN),
        CommunityRole(user=logins["admin"], community=communities[0], kind=RoleKind.ADMIN),
        CommunityRole(user=logins["staff"], community=communities[0], kind=RoleKind.STAFF),
        CommunityRole(user=logins["admin_b"], community=communities[1], kind=RoleKind.ADMIN),
    ])
    prop = HandlerOrg(street=street, community_id=communities[0].id, kind=HandlerKind.PROPERTY,
                      name="阳光物业服务有限公司")
    db.session.add_all([
        prop,
        HandlerOrg(street=street, community_id=communities[0].id, kind=HandlerKind.SOCIAL_ORG,
                   name="邻里互助服务社"),
        HandlerOrg(street=street, community_id=communities[1].id, kind=HandlerKind.PROPERTY,
                   name="和谐家园物业"),
        HandlerOrg(street=street, community_id=None, kind=HandlerKind.STREET_DEPT,
                   name="幸福街道城建科"),
    ])
    db.session.add(HandlerMember(org=prop, user=logins["handler"]))
    db.session.flush()
    audit.record("demo.seeded", count=User.query.count())
    return street


def _residents(community, index, rng, password_hash, count):
    people = []
    building_count = 6
    for n in range(count):
        household_no = n // 2 if n % 5 else n // 3  # households of one to three adults
        building = str(household_no % building_count + 1)
        unit = str(household_no // building_count % 3 + 1)
        room = f"{household_no // 18 % 6 + 1}0{household_no % 2 + 1}"
        household = Household.get_or_create(community.id, building, unit, room)
        db.session.flush()
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < .5 else "")
        user = User(phone=f"13{7 + index}{n + 1:08d}", name=name, password_hash=password_hash,
                    community=community, household=household, state=UserState.VERIFIED,
                    verified_dt=utcnow())
        db.session.add(user)
        people.append(user)
    return people


def _bodies(community, people, logins, rng):
    """Members as the presets expect: committees from a core of officers, assemblies larger."""
    for key in PRESETS:
        db.session.add(Body.from_preset(community, key))
    db.session.flush()
    bodies = {b.preset: b for b in community.bodies}
    if logins:
        core = [logins["chair"], logins["secretary"], logins["staff"], logins["admin"]]
        extra = {"representatives_assembly": [logins["representative"]],
                 "party_members_assembly": [logins["party_member"]]}
    else:
        core, extra = people[:4], {}
        people = people[4:]
    others = people
    party_branch = core + others[:1]
    members_of = {
        "party_branch_committee": party_branch,
        "two_committees": core + others[:5],
        "deliberation_council": core[:2] + others[5:14],
        # Supervisors watch the committees, so none of them sits on one.
        "supervisory_committee": others[40:43],
        "representatives_assembly": core[:2] + extra.get("representatives_assembly", [])
        + others[14:42 - len(extra.get("representatives_assembly", []))],
        "party_members_assembly": party_branch + extra.get("party_members_assembly", [])
        + rng.sample(others[43:], 35 - len(extra.get("party_members_assembly", []))),
        # The 居民会议 counts every adult: all residents are its members.
        "residents_assembly": (core + [u for k, u in (logins or {}).items()
                                       if k in ("representative", "party_member", "resident")]
                               + others),
    }
    chair, secretary = core[0], core[1]
    for key, members in members_of.items():
        for user in members:
            role = (MemberRole.CHAIR if user is chair and key != "supervisory_committee"
                    else MemberRole.SECRETARY if user is secretary and key != "supervisory_committee"
                    else MemberRole.MEMBER)
            db.session.add(Membership(body=bodies[key], user=user, role=role))
    supervisors = members_of["supervisory_committee"]
    for membership in bodies["supervisory_committee"].memberships:
        if membership.user is supervisors[0]:
            membership.role = MemberRole.CHAIR
