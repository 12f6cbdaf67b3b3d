"""A street's ten years, built by bulk inserts: `flask demo seed --scale street` and bench/street.py.

One street of 14 communities with their residents in households, every body and role, and ten years
of history month by month: proposals with co-signs, followers, comments and replies; matters with
their steps; meetings of the assemblies with their member lists, attendance, two named votes each
with their ballots sealed in the vote's hash chain and the result the rules give; general notices
on the board; notifications; and the audit log of all of it as one hash chain (app/core/audit.py).

Rows go in through SQLAlchemy Core `insert()` with many parameter sets at once, ids given by the
builder so children can name their parents without reading them back. Nothing here goes through
the operations: they flush and audit one thing at a time, which would take days for ten years.
What the rows say is still what the operations would have written (the tally is the rules' own,
the chains are hashed by the same functions), so `flask audit verify` and `flask votes verify`
hold on the result. `Plan.street(fraction)` scales every count, so tests build a small street
with the same code.
"""
import json
import random
from dataclasses import dataclass, fields, replace
from datetime import timedelta

from sqlalchemy import func, insert, select, text, update

from app.auth.models import RoleKind, User, UserState
from app.community.demo import DEMO_PASSWORD, GIVEN, SURNAMES
from app.community.models import (
    Body, Community, CommunityRole, HandlerKind, HandlerMember, HandlerOrg, Household, MemberRole,
    Membership, Street,
)
from app.community.rules import PRESETS
from app.core import auditchain
from app.core.audit import AuditChainHead, AuditEvent
from app.core.notify import Notification
from app.core.timeutil import utcnow
from app.matters.models import Matter, MatterStep
from app.matters.workflow import MatterStage, Outcome
from app.meetings.models import AgendaItem, Attendance, Meeting, MeetingMember
from app.meetings.workflow import AttendanceMode, MeetingMode, MeetingState
from app.notice.models import Notice, NoticeState
from app.notice.rules import GENERAL_CATEGORIES
from app.proposals.models import (
    DEFAULT_CATEGORIES, TERM_INDEX, Proposal, ProposalComment, ProposalCosign, ProposalFollow,
    ProposalReply, ProposalTerm,
)
from app.proposals.workflow import ProposalState
from app.votes import chain
from app.votes.choices import MOTION_KEYS, OptionSet
from app.votes.models import Ballot, Vote, VoteParticipation, VoteState
from app.votes.queries import rule_to_json
from app.votes.rules import Snapshot, VoteKind, tally

COMMUNITY_NAMES = ("阳光", "和谐", "幸福", "春晖", "翠苑", "明德", "安居", "康乐", "兴隆", "金桥",
                   "锦绣", "长青", "东湖", "南山", "西溪", "北辰")
STREET_NAME = "十年街道"
# The logins of the street's first community, one per role (same password as the demo street's).
STREET_LOGINS = {
    "street_admin": ("13800000001", "赵街道"), "admin": ("13800000002", "钱管理"),
    "staff": ("13800000003", "孙委员"), "chair": ("13800000004", "李主持"),
    "secretary": ("13800000005", "周记录"), "resident": ("13800000006", "王居民"),
    "handler": ("13800000007", "陈物业"),
}
BATCH = 5000
PROBLEMS = ("楼道灯坏了，晚上看不见台阶", "小区南门外停车太乱，消防通道被占", "电梯经常停运，老人上下楼困难",
            "垃圾分类点气味大，夏天蚊虫多", "健身器材生锈，孩子玩耍不安全", "雨天地下车库积水",
            "绿化带缺少修剪，遮挡路灯", "快递柜太少，包裹堆在门口", "楼顶防水层老化漏雨")
SUGGESTIONS = ("请物业尽快维修并公示进度。", "建议召开居民议事会商量办法。", "希望社区协调街道有关科室处理。")
PLACES = ("1号楼", "3号楼", "南门", "北门", "地下车库", "中心花园", "社区活动中心")
MATTER_KINDS = ("公共资金使用", "工程建设与修缮", "居民公约制定与修改", "补贴与救助名单")
MATTER_TITLES = ("加装电梯", "更换外墙保温层", "改造中心花园", "修订居民公约", "增设充电桩", "翻修屋面防水")


@dataclass(frozen=True)
class Plan:
    """How much of everything the street holds; `street(fraction)` scales the full street."""

    communities: int = 14
    residents: int = 200_000
    proposals: int = 100_000
    cosigns: int = 500_000
    comments: int = 300_000
    matters: int = 20_000
    meetings: int = 10_000
    votes_per_meeting: int = 2
    ballots: int = 2_000_000
    audit_events: int = 5_000_000
    notices: int = 50_000
    notifications: int = 200_000
    assembly_size: int = 150       # members of each community's representatives / party assembly
    months: int = 120

    @classmethod
    def street(cls, fraction=1.0, **overrides):
        full = cls()
        fixed = {"communities", "votes_per_meeting", "months", "assembly_size"}
        counts = {f.name: getattr(full, f.name) if f.name in fixed
                  else max(1, round(getattr(full, f.name) * fraction)) for f in fields(cls)}
        counts["residents"] = max(counts["residents"], counts["communities"] * 20)
        return replace(cls(**counts), **overrides)

    def per(self, name):
        return getattr(self, name) / self.months


def _month_share(total, month, months):
    """The part of `total` that falls in month `month` (1-based) of `months`, summing to total."""
    return total * month // months - total * (month - 1) // months


class _Ids:
    """Ids given by the builder, per table, from the next free one on."""

    def __init__(self, conn):
        self.conn, self.next = conn, {}

    def take(self, table, n=1):
        if table.name not in self.next:
            self.next[table.name] = (self.conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        first = self.next[table.name]
        self.next[table.name] = first + n
        return range(first, first + n)


class StreetBuilder:
    """Builds one street on a connection (in its transaction); `build()` returns the counts."""

    def __init__(self, conn, plan, *, seed=2026, now=None, password_hash=None, log=None):
        self.conn, self.plan, self.rng = conn, plan, random.Random(seed)
        self.now = (now or utcnow()).replace(microsecond=0)
        self.start = self.now - timedelta(days=30.44 * plan.months)
        self.password_hash = password_hash
        self.log = log or (lambda message: None)
        self.ids = _Ids(conn)
        self.counts = {}
        self.pending = {}                 # table name -> rows not yet inserted
        self.events = []                  # this month's audit events
        self.chain_seq, self.chain_head = self._chain_start()

    # -- plumbing --------------------------------------------------------------------------------
    def add(self, model, row):
        table = model.__table__
        rows = self.pending.setdefault(table.name, (table, []))[1]
        rows.append(row)
        if len(rows) >= BATCH:
            # Every table, in the order each was first used: parents before their children.
            self.flush()

    def flush(self, name=None):
        for key in ([name] if name else list(self.pending)):
            table, rows = self.pending.get(key, (None, []))
            if rows:
                self.conn.execute(insert(table), rows)
                self.counts[key] = self.counts.get(key, 0) + len(rows)
                rows.clear()

    def event(self, dt, action, actor=None, community=None, obj=None, obj_id=None, *, from_state=None,
              to_state=None, reason=None, **data):
        self.events.append({
            "created_dt": dt, "actor_id": actor, "community_id": community, "action": action,
            "object_type": obj, "object_id": obj_id, "from_state": from_state, "to_state": to_state,
            "reason": reason, "data_json": json.dumps(data, ensure_ascii=False) if data else None,
        })

    def _chain_start(self):
        row = self.conn.execute(select(AuditChainHead.seq, AuditChainHead.hash)
                                .where(AuditChainHead.id == 1)).first()
        return tuple(row) if row else (0, auditchain.GENESIS)

    def flush_events(self):
        """The month's events in time order, chained after the head, inserted; the head moved on."""
        self.flush()   # what the events name is stored before them
        self.events.sort(key=lambda e: e["created_dt"])
        ids = self.ids.take(AuditEvent.__table__, len(self.events))
        for event, event_id in zip(self.events, ids, strict=True):
            event["id"] = event_id
        links = auditchain.link(self.chain_seq, self.chain_head, self.events)
        for event, (seq, prev, this) in zip(self.events, links, strict=True):
            event.update(seq=seq, prev_hash=prev, chain_hash=this)
        for start in range(0, len(self.events), BATCH):
            self.conn.execute(insert(AuditEvent.__table__), self.events[start:start + BATCH])
        if links:
            self.chain_seq, _, self.chain_head = links[-1]
        self.counts["audit_events"] = self.counts.get("audit_events", 0) + len(self.events)
        self.events = []

    def when(self, month, rng=None):
        """A random moment of month `month` (0-based from the street's start), never in the future."""
        moment = self.start + timedelta(days=30.44 * (month + (rng or self.rng).random()))
        return min(moment, self.now - timedelta(minutes=5)).replace(microsecond=0)

    def receipt(self):
        number = self.rng.getrandbits(5 * chain.RECEIPT_LENGTH)
        chars = "".join(chain.ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(chain.RECEIPT_LENGTH)))
        return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"

    def name(self):
        rng = self.rng
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < .5 else "")

    # -- the street and its people -----------------------------------------------------------------
    def build(self):
        self.people()
        self.flush_events()
        self.log(f"people: {self.counts.get('users', 0)} residents")
        for month in range(1, self.plan.months):
            self.history(month)
            self.flush_events()
            if month % 12 == 0:
                self.log(f"year {month // 12}: {self.counts.get('audit_events', 0)} audit events")
        self.finish()
        return self.counts

    def people(self):
        plan, at = self.plan, self.start
        street_id = self.ids.take(Street.__table__)[0]
        self.add(Street, {"id": street_id, "name": STREET_NAME if street_id == 1 else f"{STREET_NAME}{street_id}"})
        self.street_id = street_id
        self.communities = []     # (id, [resident ids], {preset: (body id, [member ids])}, staff ids)
        per_community = plan.residents // plan.communities
        logins = dict(STREET_LOGINS)
        for index in range(plan.communities):
            community_id = self.ids.take(Community.__table__)[0]
            name = COMMUNITY_NAMES[index % len(COMMUNITY_NAMES)] + "社区" + ("" if index < len(COMMUNITY_NAMES)
                                                                         else str(index))
            self.add(Community, {"id": community_id, "street_id": street_id, "name": name, "created_dt": at})
            self.flush()
            count = per_community + (plan.residents % plan.communities if index == 0 else 0)
            residents = self._residents(community_id, index, count, logins if index == 0 else None)
            bodies = self._bodies(community_id, residents)
            self.communities.append((community_id, residents, bodies))
            self.event(at, "register.imported", community=community_id, count=len(residents))
        admin, staff = self.login_ids.get("admin"), self.login_ids.get("staff")
        first = self.communities[0][0]
        roles = [(self.login_ids["street_admin"], None, street_id, RoleKind.STREET_ADMIN),
                 (admin, first, None, RoleKind.ADMIN), (staff, first, None, RoleKind.STAFF)]
        for community_id, residents, _ in self.communities[1:]:
            roles.append((residents[0], community_id, None, RoleKind.ADMIN))
            roles.append((residents[1], community_id, None, RoleKind.STAFF))
        for user_id, community_id, street, kind in roles:
            self.add(CommunityRole, {"id": self.ids.take(CommunityRole.__table__)[0], "user_id": user_id,
                                     "community_id": community_id, "street_id": street, "kind": kind})
        self.orgs = {}
        for community_id, _, _ in self.communities:
            org_id = self.ids.take(HandlerOrg.__table__)[0]
            self.add(HandlerOrg, {"id": org_id, "street_id": street_id, "community_id": community_id,
                                  "kind": HandlerKind.PROPERTY, "name": f"物业服务公司{org_id}"})
            self.orgs[community_id] = org_id
        dept = self.ids.take(HandlerOrg.__table__)[0]
        self.add(HandlerOrg, {"id": dept, "street_id": street_id, "community_id": None,
                              "kind": HandlerKind.STREET_DEPT, "name": "街道城建科"})
        self.flush()
        self.add(HandlerMember, {"id": self.ids.take(HandlerMember.__table__)[0],
                                 "org_id": self.orgs[first], "user_id": self.login_ids["handler"]})

    def _residents(self, community_id, index, count, logins):
        """`count` verified residents in households of one to three adults; the logins first."""
        at, made = self.start, []
        self.login_ids = getattr(self, "login_ids", {})
        households = self.ids.take(Household.__table__, count // 2 + 1)
        used = set()
        people = self.ids.take(User.__table__, count + (len(logins) if logins else 0))
        for n, user_id in enumerate(people):
            household = households[min(n // 2 if n % 5 else n // 3, len(households) - 1)]
            if household not in used:
                used.add(household)
                number = household - households[0]
                self.add(Household, {"id": household, "community_id": community_id,
                                     "building": str(number // 72 + 1), "unit": str(number // 24 % 3 + 1),
                                     "room": f"{number // 4 % 6 + 1}0{number % 4 + 1}"})
            login = list(logins.items())[n] if logins and n < len(logins) else None
            if login:
                key, (phone, name) = login
                self.login_ids[key] = user_id
                in_community = key not in ("street_admin", "handler")
            else:
                phone, name, in_community = f"15{index:02d}{n:07d}", self.name(), True
            self.add(User, {"id": user_id, "phone": phone, "name": name, "password_hash": self.password_hash,
                            "state": UserState.VERIFIED, "community_id": community_id if in_community else None,
                            "household_id": household if in_community else None, "is_large_type": False,
                            "is_disabled": False, "created_dt": at, "verified_dt": at, "session_epoch": 0})
            if in_community:
                made.append(user_id)
                self.event(at, "user.verified", community=community_id, obj="users", obj_id=user_id,
                           from_state="pending", to_state="verified")
        self.flush()
        return made

    def _bodies(self, community_id, residents):
        """Every body of the presets; officers from the first residents, assemblies larger."""
        bodies = {}
        if not self.communities:
            # The first community's officers are the chair's and secretary's logins; the other
            # logins (admin, staff by role; the plain resident) sit on no body but the 居民会议.
            logins = set(self.login_ids.values())
            pool = [r for r in residents if r not in logins]
            chair, secretary = self.login_ids["chair"], self.login_ids["secretary"]
            officers = [chair, secretary] + pool[:7]
            residents_all, residents = residents, [chair, secretary] + pool
        else:
            residents_all, chair, secretary = residents, residents[0], residents[1]
            officers = residents[:9]
        size = min(self.plan.assembly_size, len(residents))
        members_of = {
            "party_branch_committee": officers[:5], "two_committees": officers[:9],
            "deliberation_council": officers[:2] + residents[9:18],
            "supervisory_committee": residents[18:21],
            "representatives_assembly": officers[:2] + residents[21:21 + size - 2],
            "party_members_assembly": officers[:5] + residents[21 + size:21 + 2 * size - 5],
            "residents_assembly": residents_all,
        }
        for key in PRESETS:
            preset = PRESETS[key]
            body_id = self.ids.take(Body.__table__)[0]
            self.add(Body, {"id": body_id, "community_id": community_id, "preset": key, "name": preset.name,
                            "is_marked_public": False, **Body.rule_columns(preset.rule)})
            members = list(dict.fromkeys(m for m in members_of.get(key, []) if m))
            bodies[key] = (body_id, members)
        self.flush()
        for key, (body_id, members) in bodies.items():
            ids = self.ids.take(Membership.__table__, len(members))
            for membership_id, user_id in zip(ids, members, strict=True):
                role = MemberRole.MEMBER
                if key != "supervisory_committee" and user_id == members[0]:
                    role = MemberRole.CHAIR
                elif key != "supervisory_committee" and len(members) > 1 and user_id == members[1]:
                    role = MemberRole.SECRETARY
                self.add(Membership, {"id": membership_id, "body_id": body_id, "user_id": user_id, "role": role,
                                      "is_voting": True, "created_dt": self.start})
        self.flush()
        return bodies

    # -- ten years ---------------------------------------------------------------------------------
    def history(self, month):
        plan, months = self.plan, self.plan.months - 1
        share = {name: _month_share(getattr(plan, name), month, months)
                 for name in ("proposals", "cosigns", "comments", "matters", "meetings", "ballots",
                              "notices", "notifications", "audit_events")}
        events_before = len(self.events)
        self.meetings_of_month(month, share["meetings"], share["ballots"])
        self.matters_of_month(month, share["matters"])
        self.notices_of_month(month, share["notices"])
        self.notifications_of_month(month, share["notifications"])
        # Followers fill the month's share of the audit log: each follow is a row and an event.
        natural = (len(self.events) - events_before) + share["proposals"] * 3 + share["cosigns"] + share["comments"]
        follows = max(0, share["audit_events"] - natural)
        self.proposals_of_month(month, share["proposals"], share["cosigns"], share["comments"], follows)

    def _community(self):
        return self.rng.choice(self.communities)

    def proposals_of_month(self, month, n, cosigns, comments, follows):
        rng, recent = self.rng, month >= self.plan.months - max(1, self.plan.months // 40)
        ids = self.ids.take(Proposal.__table__, n)
        for k, proposal_id in enumerate(ids):
            community_id, residents, _ = self._community()
            author = rng.choice(residents)
            created = self.when(month)
            published = created + timedelta(hours=1)
            if recent:
                # In turn, so that even a small street has proposals in each open state.
                state = (ProposalState.collecting, ProposalState.under_review, ProposalState.assigned)[k % 3]
            else:
                state = rng.choices((ProposalState.closed, ProposalState.answered, ProposalState.expired,
                                     ProposalState.declined), (5, 2, 2, 1))[0]
            backers = rng.sample(residents, min(len(residents) - 1,
                                                _month_share(cosigns, k + 1, n) + _month_share(comments, k + 1, n)
                                                + _month_share(follows, k + 1, n) + 1))
            backers = [b for b in backers if b != author]
            n_cosign, n_comment = _month_share(cosigns, k + 1, n), _month_share(comments, k + 1, n)
            cosigners, commenters = backers[:n_cosign], backers[:n_comment]
            followers = backers[n_cosign:n_cosign + _month_share(follows, k + 1, n)]
            title = f"{rng.choice(PLACES)}{rng.choice(PROBLEMS)[:10]}（{proposal_id}）"
            problem = rng.choice(PROBLEMS) + "。" + rng.choice(PROBLEMS) + "。"
            handled = state in (ProposalState.assigned, ProposalState.answered, ProposalState.closed)
            row = {"id": proposal_id, "community_id": community_id, "author_id": author, "title": title,
                   "category": rng.choice(DEFAULT_CATEGORIES), "problem": problem,
                   "suggestion": rng.choice(SUGGESTIONS), "place": rng.choice(PLACES), "state": state.value,
                   "created_dt": created, "updated_dt": published + timedelta(days=20),
                   "published_dt": published, "cosign_count": len(cosigners),
                   "review_started_dt": None if state is ProposalState.collecting else published + timedelta(days=3),
                   "assigned_dt": published + timedelta(days=6) if handled else None,
                   "reply_due_dt": published + timedelta(days=36) if handled else None,
                   "is_extended": False, "rehandle_count": 0,
                   "handler_org_id": self.orgs[community_id] if handled else None,
                   "decline_ground": "not_community_affair" if state is ProposalState.declined else None,
                   "decline_reason": "不属于社区自治事务。" if state is ProposalState.declined else None,
                   "rating": "satisfied" if state is ProposalState.closed else None,
                   "closed_dt": published + timedelta(days=30) if state is ProposalState.closed else None}
            self.add(Proposal, row)
            for term in ProposalTerm.terms_of(title, problem):
                self.add(ProposalTerm, TERM_INDEX.rows(proposal_id, [term], community_id=community_id)[0])
            self.event(created, "proposal.create", author, community_id, "proposals", proposal_id, to_state="draft")
            self.event(published, "proposal.publish", author, community_id, "proposals", proposal_id,
                       from_state="draft", to_state="collecting")
            self.event(published + timedelta(days=20), f"proposal.{state.value}", None, community_id, "proposals",
                       proposal_id, from_state="collecting", to_state=state.value)
            for i, user in enumerate(cosigners):
                at = published + timedelta(hours=2 + i)
                self.add(ProposalCosign, {"proposal_id": proposal_id, "user_id": user, "created_dt": at})
                self.event(at, "proposal.cosign", user, community_id, "proposals", proposal_id)
            for i, user in enumerate(commenters):
                at = published + timedelta(hours=3 + i)
                self.add(ProposalComment, {"proposal_id": proposal_id, "author_id": user, "created_dt": at,
                                           "body": rng.choice(("同意，希望尽快解决。", "我家楼下也是这样。",
                                                               "建议先摸底再定方案。")), "is_hidden": False})
                self.event(at, "proposal.comment", user, community_id, "proposals", proposal_id)
            for i, user in enumerate(followers):
                at = published + timedelta(hours=4 + i)
                self.add(ProposalFollow, {"proposal_id": proposal_id, "user_id": user, "created_dt": at})
                self.event(at, "proposal.follow", user, community_id, "proposals", proposal_id)
            if state in (ProposalState.answered, ProposalState.closed):
                self.add(ProposalReply, {"proposal_id": proposal_id, "org_id": self.orgs[community_id],
                                         "category": "A", "body": "已安排维修，一周内完成。", "is_late": False,
                                         "created_dt": published + timedelta(days=15),
                                         "rating": "satisfied" if state is ProposalState.closed else None,
                                         "rated_dt": published + timedelta(days=20)
                                         if state is ProposalState.closed else None})
        self.flush()

    def matters_of_month(self, month, n):
        rng, recent = self.rng, month >= self.plan.months - max(1, self.plan.months // 20)
        stages = list(MatterStage)
        for matter_id in self.ids.take(Matter.__table__, n):
            community_id, residents, bodies = self._community()
            drafter = bodies["two_committees"][1][rng.randrange(len(bodies["two_committees"][1]))]
            created = self.when(month)
            stage = rng.choice(stages) if recent else MatterStage.result_public
            reached = stages.index(stage)
            published = created + timedelta(days=40) if reached >= 4 else None
            self.add(Matter, {"id": matter_id, "community_id": community_id,
                              "title": f"{rng.choice(MATTER_TITLES)}（{matter_id}）", "kind": rng.choice(MATTER_KINDS),
                              "stage": stage, "plan": "## 方案\n\n分两期实施，资金来源为公共收益。",
                              "budget_fen": rng.randrange(10_000, 5_000_000) * 100, "created_by_id": drafter,
                              "round": 1, "objection_days": 7 if published else None, "created_dt": created,
                              "updated_dt": created + timedelta(days=10 * reached),
                              "resolution_published_dt": published,
                              "implementation_started_dt": created + timedelta(days=50) if reached >= 5 else None,
                              "result_published_dt": created + timedelta(days=90) if reached >= 6 else None})
            self.event(created, "matter.created", drafter, community_id, "matters", matter_id, to_state="proposal")
            for k in range(reached):
                at = created + timedelta(days=10 * (k + 1))
                self.add(MatterStep, {"matter_id": matter_id, "round": 1, "stage": stages[k], "passed": True,
                                      "quorum_met": True, "is_merged": False, "outcome": Outcome.advanced,
                                      "from_stage": stages[k], "to_stage": stages[k + 1], "result_text": "通过",
                                      "actor_id": drafter, "created_dt": at})
                self.event(at, "matter.advanced", drafter, community_id, "matters", matter_id,
                           from_state=stages[k].value, to_state=stages[k + 1].value)
        self.flush()

    def meetings_of_month(self, month, n, ballots):
        """n meetings of the assemblies, each with its votes; about `ballots` ballots in all."""
        rng, plan = self.rng, self.plan
        votes_left, ballots_left = n * plan.votes_per_meeting, ballots
        for meeting_id in self.ids.take(Meeting.__table__, n):
            community_id, residents, bodies = self._community()
            preset = rng.choice(("representatives_assembly", "party_members_assembly"))
            body_id, members = bodies[preset]
            body = PRESETS[preset]
            chair, secretary = members[0], members[1]
            start = self.when(month)
            ended = start + timedelta(hours=2)
            per_vote = min(len(members), max(1, round(ballots_left / max(votes_left, 1))))
            votes_left -= plan.votes_per_meeting
            present = rng.sample(members, per_vote)
            if chair not in present:
                present[0] = chair
            online = set(present[: len(present) // 4])
            hall = [u for u in present if u not in online]
            title = f"{body.name}（第{meeting_id}次）"
            minutes, votes = [f"# {title}", "", f"应到 {len(members)} 人，实到 {len(present)} 人。", ""], []
            for position in range(plan.votes_per_meeting):
                item_id = self.ids.take(AgendaItem.__table__)[0]
                item_title = f"第{position + 1}项：{rng.choice(MATTER_TITLES)}"
                vote = self._vote(meeting_id, item_id, community_id, item_title, body, members, hall, online,
                                  chair, start + timedelta(minutes=20 * (position + 1)))
                votes.append((position, item_id, item_title, vote))
                minutes += [f"## {item_title}",
                            f"选票哈希链头：`{vote['head']}`（回执码公示：/votes/{vote['id']}/receipts）", ""]
                ballots_left -= len(present)
            self.add(Meeting, {"id": meeting_id, "community_id": community_id, "body_id": body_id, "title": title,
                               "start_dt": start, "place": "社区活动中心", "mode": MeetingMode.HYBRID,
                               "notice_text": "请准时参会。", "state": MeetingState.MINUTES_SIGNED,
                               "current_item": plan.votes_per_meeting - 1, "speaker_limit_seconds": 180,
                               "hall_secret": f"{rng.getrandbits(128):032x}", "created_by_id": secretary,
                               "created_dt": start - timedelta(days=12),
                               "announced_dt": start - timedelta(days=10), "started_dt": start,
                               "ended_dt": ended, "signed_dt": ended + timedelta(days=1), "room_version": 0,
                               "minutes_text": "\n".join(minutes)})
            self.event(start - timedelta(days=12), "meeting.created", secretary, community_id, "meetings", meeting_id)
            self.event(start - timedelta(days=10), "meeting.announced", secretary, community_id, "meetings",
                       meeting_id, from_state="draft", to_state="announced")
            self.event(start, "meeting.started", chair, community_id, "meetings", meeting_id,
                       from_state="announced", to_state="live")
            for user_id in members:
                self.add(MeetingMember, {"meeting_id": meeting_id, "user_id": user_id, "is_voting": True,
                                         "role": MemberRole.CHAIR if user_id == chair else
                                         MemberRole.SECRETARY if user_id == secretary else MemberRole.MEMBER})
            for i, user_id in enumerate(present):
                at = start - timedelta(minutes=30) + timedelta(seconds=i)
                mode = AttendanceMode.ONLINE if user_id in online else AttendanceMode.HALL
                self.add(Attendance, {"meeting_id": meeting_id, "user_id": user_id, "mode": mode,
                                      "checked_in_dt": at, "checked_in_by_id": None if mode is
                                      AttendanceMode.ONLINE else secretary})
                self.event(at, "meeting.checked_in", secretary, community_id, "meetings", meeting_id,
                           user_id=user_id, mode=mode.value)
            for position, item_id, item_title, vote in votes:
                self.add(AgendaItem, {"id": item_id, "meeting_id": meeting_id, "position": position,
                                      "title": item_title, "description": "方案见附件。", "kind": "discussion",
                                      "is_for_vote": True, "noticed_dt": start - timedelta(days=10)})
                for model, rows in vote["rows"]:
                    for row in rows:
                        self.add(model, row)
            self.event(ended, "meeting.ended", chair, community_id, "meetings", meeting_id,
                       from_state="live", to_state="ended")
            self.event(ended + timedelta(days=1), "meeting.minutes_signed", chair, community_id, "meetings",
                       meeting_id)
        self.flush()

    def _vote(self, meeting_id, item_id, community_id, title, body, members, hall, online, chair, opened):
        """A named vote on the motion: everyone present casts; the result is the rules' tally."""
        rng, vote_id = self.rng, self.ids.take(Vote.__table__)[0]
        options = OptionSet.motion()
        snapshot = Snapshot(kind=VoteKind.NAMED, eligible=members, hall=hall, online=online, options=options)
        weights = (6, 2, 1)
        choices = {u: rng.choices(MOTION_KEYS, weights)[0] for u in [*hall, *online]}
        online_choices = {u: c for u, c in choices.items() if u in online}
        hall_choices = {u: c for u, c in choices.items() if u not in online}
        result = tally(body.rule, snapshot, online_choices, hall_choices)
        receipts = {}
        for user_id in choices:
            receipt = self.receipt()
            while receipt in receipts.values():
                receipt = self.receipt()
            receipts[user_id] = receipt
        links = chain.chain_links(vote_id, [(receipts[u], choices[u]) for u in choices])
        head = links[-1][2] if links else chain.genesis(vote_id)
        closed = opened + timedelta(minutes=10)
        data = {**result.to_dict(), "chain_head": head, "title": title}
        vote_row = {"id": vote_id, "meeting_id": meeting_id, "item_id": item_id, "community_id": community_id,
                        "title": title, "kind": VoteKind.NAMED.value,
                        "options_json": json.dumps(options.to_dict(), ensure_ascii=False),
                        "snapshot_json": json.dumps(snapshot.to_dict()), "rule_json": rule_to_json(body.rule),
                        "state": VoteState.CLOSED, "auto_close": False, "opened_dt": opened,
                        "opened_by_id": chair, "closed_dt": closed, "closed_by_id": chair,
                        "result_json": json.dumps(data, ensure_ascii=False), "passed": result.passed,
                        "chain_head": head}
        participations = [{"vote_id": vote_id, "user_id": user_id, "household_id": None,
                           "mode": "online" if user_id in online else "hall", "choice": choice,
                           "receipt": receipts[user_id]} for user_id, choice in choices.items()]
        ballots = [{"vote_id": vote_id, "receipt": receipt, "choice": choice, "chain_hash": link}
                   for receipt, choice, link in links]
        self.event(opened, "vote.opened", chair, community_id, "meetings", meeting_id, vote_id=vote_id,
                   title=title, kind="named", eligible=len(members), hall=len(hall), online=len(online))
        self.event(closed, "vote.closed", chair, community_id, "meetings", meeting_id, vote_id=vote_id,
                   passed=result.passed, text=result.text, chain_head=head, auto=False)
        return {"id": vote_id, "head": head,
                "rows": [(Vote, [vote_row]), (VoteParticipation, participations), (Ballot, ballots)]}

    def notices_of_month(self, month, n):
        rng = self.rng
        for notice_id in self.ids.take(Notice.__table__, n):
            community_id, _, _ = self._community()
            category = rng.choice(GENERAL_CATEGORIES)
            published = self.when(month)
            author = self.login_ids["admin"]
            self.add(Notice, {"id": notice_id, "community_id": community_id,
                              "title": f"{category}：第{notice_id}期", "category": category,
                              "body": "| 项目 | 金额 |\n| --- | --- |\n| 公共收益 | 12,000 元 |\n\n详见公示栏。",
                              "state": NoticeState.PUBLISHED, "created_by_id": author,
                              "created_dt": published - timedelta(hours=1), "updated_dt": published,
                              "published_dt": published})
            self.event(published, "notice.publish", author, community_id, "notices", notice_id,
                       from_state="draft", to_state="published")
        self.flush()

    def notifications_of_month(self, month, n):
        rng = self.rng
        for _ in range(n):
            community_id, residents, _ = self._community()
            self.add(Notification, {"user_id": rng.choice(residents), "text": "您关注的提案有新进展。",
                                    "url": f"/c/{community_id}/proposals/", "is_read": rng.random() < .8,
                                    "created_dt": self.when(month)})
        self.flush()

    def finish(self):
        """Move the audit head to the last event; PostgreSQL's sequences past the given ids."""
        head = AuditChainHead.__table__
        moved = self.conn.execute(update(head).where(head.c.id == 1)
                                  .values(seq=self.chain_seq, hash=self.chain_head))
        if moved.rowcount == 0:
            self.conn.execute(insert(head).values(id=1, seq=self.chain_seq, hash=self.chain_head))
        if self.conn.dialect.name == "postgresql":
            for table_name in self.ids.next:
                self.conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table_name}), 0) + 1, false)"))
            for table_name in ("proposal_cosigns", "proposal_follows", "proposal_comments", "proposal_replies",
                               "matter_steps", "meeting_members", "attendances", "notifications"):
                self.conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table_name}), 0) + 1, false)"))


def build_street(plan, *, seed=2026, log=None):
    """Build the street in the app's database (which must hold no street yet), index the board,
    and return {table: rows}. The logins of STREET_LOGINS use the demo password."""
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.notice import index

    password_hash = generate_password_hash(DEMO_PASSWORD)
    with db.engine.begin() as conn:
        counts = StreetBuilder(conn, plan, seed=seed, password_hash=password_hash, log=log).build()
    log = log or (lambda message: None)
    log("indexing the notice board")
    counts["notice_postings"] = sum(index.reindex().values())
    db.session.remove()
    log("planner statistics and visibility map (VACUUM ANALYZE)")
    settle_after_bulk_load(db.engine)
    return counts


def settle_after_bulk_load(engine):
    """What autovacuum gives a database that has lived: fresh planner statistics and, on
    PostgreSQL, a visibility map (without it every count reads the heap, not the index alone).
    VACUUM runs outside a transaction; SQLite's ANALYZE needs none of that."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
        return
    with engine.connect() as conn:   # a bulk load leaves the planner guessing until then
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
