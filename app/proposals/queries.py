"""Reading proposals: the community's list, the queues of staff and handlers, the street's
overview, a proposal's trail and what its page offers to whom. Nothing here changes anything."""
import dataclasses
import heapq
from collections import defaultdict
from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import defer, joinedload, selectinload

from app.community.models import HandlerOrg
from app.core.audit import AuditEvent
from app.core.chinese import search_terms
from app.core.paging import CappedPage, Page, kept_count
from app.core.timeutil import utcnow
from app.extensions import db
from app.proposals import workflow
from app.proposals.models import Proposal, ProposalCosign, ProposalReply, ProposalSettings, ProposalTerm
from app.proposals.search import search_plan
from app.proposals.workflow import Action, ProposalState, Role

PER_PAGE = 20
SEARCH_COUNT_CAP = 1000
OPEN_STATES = (ProposalState.under_review.value, ProposalState.accepted.value,
               ProposalState.assigned.value)


def settings_for(community):
    return ProposalSettings.for_community(community.id)


def timeline(proposal):
    """The proposal's audited trail, oldest first."""
    hidden = ("proposal.follow", "proposal.unfollow", "proposal.edit")
    # Who did each step is shown: read with the events, not once per event.
    return (AuditEvent.query.filter(AuditEvent.object_type == "proposals", AuditEvent.object_id == proposal.id,
                                    AuditEvent.action.notin_(hidden))
            .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.id).all())


EVENT_LABELS = {
    "proposal.create": _l("起草提案"),
    "proposal.comment": _l("发表评论"),
    "proposal.hide_comment": _l("隐藏评论"),
    "proposal.merged_in": _l("其他提案并入本提案"),
    "proposal.matter_outcome": _l("四议两公开事项结果"),
    "proposal.matter_opened": _l("建立四议两公开事项"),
    "proposal.cosigner_rate": _l("附议人评价"),
} | {f"proposal.{a.value}": _l(a.message.msgid) for a in Action}


def cosigners(proposal):
    return (ProposalCosign.query.filter_by(proposal_id=proposal.id)
            .options(selectinload(ProposalCosign.user)).order_by(ProposalCosign.id).all())


def _collecting_live(settings, now):
    cutoff = now - timedelta(days=settings.window_days)
    return and_(Proposal.state == ProposalState.collecting.value,
                or_(Proposal.published_dt > cutoff,
                    Proposal.cosign_count >= settings.cosign_threshold))


def _expired(settings, now):
    cutoff = now - timedelta(days=settings.window_days)
    return or_(Proposal.state == ProposalState.expired.value,
               and_(Proposal.state == ProposalState.collecting.value,
                    Proposal.published_dt <= cutoff,
                    Proposal.cosign_count < settings.cosign_threshold))


def overdue_clause(settings, now):
    review_cutoff = now - timedelta(days=settings.review_days)
    return or_(
        and_(Proposal.state.in_([ProposalState.under_review.value, ProposalState.accepted.value]),
             Proposal.review_started_dt <= review_cutoff),
        and_(Proposal.state == ProposalState.assigned.value, Proposal.reply_due_dt <= now),
    )


def state_clause(state, settings, now):
    if state == ProposalState.collecting.value:
        return _collecting_live(settings, now)
    if state == ProposalState.expired.value:
        return _expired(settings, now)
    return Proposal.state == state

LIST_STATES = [s for s in ProposalState if s is not ProposalState.draft]


def list_proposals(community, user, *, state=None, category=None, mine=False, overdue=False,
                   q=None, page=1, per_page=PER_PAGE, now=None, load=()):
    """The community's proposals, newest first; expiry and overdue decided in SQL from times.
    `load`: loader options for what the caller reads of each row (`whole_rows()` for the API)."""
    now = now or utcnow()
    settings = settings_for(community)
    clauses = [Proposal.community_id == community.id]
    if mine and getattr(user, "is_authenticated", False):
        clauses.append(Proposal.author_id == user.id)
    else:
        # Public means published (a draft withdrawn before publishing never was).
        clauses += [Proposal.state != ProposalState.draft.value, Proposal.published_dt.isnot(None)]
    if state and state in {s.value for s in ProposalState}:
        clauses.append(state_clause(state, settings, now))
    if category:
        clauses.append(Proposal.category == category)
    if overdue:
        clauses.append(overdue_clause(settings, now))
    capped = False
    searching = bool(q and search_terms(q))
    base, order = select(Proposal.id), Proposal.id.desc()
    if searching:
        driver, text_clauses = search_plan(q, community.id)
        clauses += text_clauses
        if driver is not None:
            base = select(Proposal.id).join(ProposalTerm, and_(
                ProposalTerm.proposal_id == Proposal.id,
                ProposalTerm.community_id == community.id, ProposalTerm.term == driver))
            order = ProposalTerm.proposal_id.desc()
    base = base.where(*clauses)
    page = max(1, page)
    start = (page - 1) * per_page
    ids = None
    if searching:
        # Counting every match of a common word in a large community costs more than it tells:
        # the first SEARCH_COUNT_CAP + 1 ids, in order, give both the count and (unless the page
        # lies beyond them) the page, in one pass over the index.
        head = db.session.scalars(base.order_by(order).limit(SEARCH_COUNT_CAP + 1)).all()
        total = len(head)
        if total > SEARCH_COUNT_CAP:
            total, capped = SEARCH_COUNT_CAP, True
        if start + per_page <= len(head) or not capped:
            ids = head[start:start + per_page]
    else:
        key = (str(db.engine.url), community.id, state, category,
               user.id if mine and getattr(user, "is_authenticated", False) else None, overdue)
        total = kept_count(key, lambda: db.session.scalar(
            select(func.count()).select_from(base.subquery())))
    # Ids first, from the index alone, then only the rows of this page: a deep page does not
    # read the rows it skips.
    if ids is None:
        ids = db.session.scalars(base.order_by(order).offset(start).limit(per_page)).all()
    found = {p.id: p for p in Proposal.query.filter(Proposal.id.in_(ids))
             .options(selectinload(Proposal.author), *load)} if ids else {}
    items = [found[i] for i in ids]
    for item in items:
        item._settings = settings
    return Page(items, total, page, per_page, capped)


def staff_queue(community, now=None, page=1, per_page=PER_PAGE):
    """One page of the proposals waiting on the committee or a handler, soonest due first (the
    overdue ones lead), with the total."""
    now = now or utcnow()
    wanted = page * per_page
    items = soonest_due({community.id: settings_for(community)}, now, wanted)
    total = db.session.scalar(select(func.count()).where(Proposal.community_id == community.id,
                                                         Proposal.state.in_(OPEN_STATES)))
    return Page(items[wanted - per_page:wanted], total, page, per_page)


def soonest_due(settings, now, limit, overdue=False):
    """The first `limit` open proposals of the communities of `settings` ({community id: its
    settings}) in the order their deadlines come, the overdue first; only the overdue ones with
    `overdue`.

    The due date is workflow's rule, not SQL's: an open proposal runs either its community's review
    period from its review start (under review, accepted) or its reply date (assigned). Read in the
    order of that date column, the reviews of the communities of one review period, and their
    assigned ones, are each in due order; the answer is the merge of those heads (the columns the
    rule reads, no more), and only its rows are then loaded whole. A street's backlog is never read.
    `overdue` filters by `overdue_clause`, as the list's filter and the counts do."""
    if not settings or limit <= 0:
        return []
    reviewing = [ProposalState.under_review.value, ProposalState.accepted.value]
    streams = []
    for period, cids in _by_review_period(settings):
        mine = [Proposal.community_id.in_(cids), *([overdue_clause(period, now)] if overdue else [])]
        streams += [(and_(*mine, Proposal.state.in_(reviewing)), Proposal.review_started_dt),
                    (and_(*mine, Proposal.state == ProposalState.assigned.value), Proposal.reply_due_dt)]
    rules = {cid: found.rules for cid, found in settings.items()}

    def due(row):
        snap = workflow.Snapshot(**{name: getattr(row, name) for name in _SNAPSHOT_FIELDS})
        deadline = workflow.deadlines(snap, now, rules[row.community_id])
        return (deadline.due_dt if deadline else now), row.id

    heads = [db.session.execute(select(Proposal.id, Proposal.community_id, *_SNAPSHOT_COLUMNS).where(where)
                                .order_by(column, Proposal.id).limit(limit)).all() for where, column in streams]
    ids = [row.id for row in heapq.merge(*heads, key=due)][:limit]
    if not ids:
        return []
    # The lists show titles, deadlines and handlers (joined: one statement whether or not a page
    # has any); the texts stay in the database.
    found = {p.id: p for p in db.session.scalars(
        select(Proposal).where(Proposal.id.in_(ids))
        .options(joinedload(Proposal.handler_org), defer(Proposal.problem),
                 defer(Proposal.suggestion), defer(Proposal.decline_reason)))}
    items = [found[i] for i in ids]
    for item in items:
        item._settings = settings[item.community_id]
    return items


_SNAPSHOT_FIELDS = tuple(field.name for field in dataclasses.fields(workflow.Snapshot))
_SNAPSHOT_COLUMNS = tuple(getattr(Proposal, name) for name in _SNAPSHOT_FIELDS)


def handler_queue(user, now=None, load=(), page=None):
    """What the user's organisations must answer, soonest due first, and what they answered lately.
    `load`: loader options for what the caller reads of each row (`whole_rows()` for the API).
    `page`: that page of the open ones (a CappedPage, PER_PAGE a page) instead of the first 500."""
    org_ids = [link.org_id for link in user.handler_links]
    if not org_ids:
        return ([] if page is None else Page([], 0, 1, PER_PAGE)), []
    waiting = (select(Proposal).where(Proposal.handler_org_id.in_(org_ids),
                                      Proposal.state == ProposalState.assigned.value)
               .options(*load).order_by(Proposal.reply_due_dt, Proposal.id))
    if page is None:
        open_items = listed = db.session.scalars(waiting.limit(500)).all()
    else:
        open_items = CappedPage(waiting, page=page, per_page=PER_PAGE)
        listed = open_items.items
    done = (Proposal.query.join(ProposalReply, ProposalReply.proposal_id == Proposal.id)
            .filter(ProposalReply.org_id.in_(org_ids), Proposal.state != ProposalState.assigned.value)
            .options(*load).order_by(ProposalReply.id.desc()).limit(20).all())
    done = list(dict.fromkeys(done))
    with_settings(listed + done)
    return open_items, done


def with_settings(items):
    """Give each proposal its community's settings, read in one query: a community without a row
    of its own uses the defaults, which `Proposal.settings` would otherwise look for once per row."""
    settings = settings_of({p.community_id for p in items})
    for item in items:
        item._settings = settings[item.community_id]
    return items


def settings_of(community_ids):
    """{community id: its proposal settings} in one query (the defaults where it has none)."""
    if not community_ids:
        return {}
    stored = {s.community_id: s for s in
              ProposalSettings.query.filter(ProposalSettings.community_id.in_(community_ids))}
    return {cid: stored.get(cid) or ProposalSettings.defaults_for(cid) for cid in community_ids}


# The street's overview lists its longest-overdue proposals up to this many, whichever community
# they are in; each community's overdue ones are a link away, page by page.
STREET_OVERDUE_SHOWN = 10


def street_overview(street, now=None):
    """Per community its open and overdue proposals counted, and the street's longest overdue
    (STREET_OVERDUE_SHOWN: a street of ten years has thousands). A few queries, whatever the
    number of communities: one per distinct review period besides the counts."""
    now = now or utcnow()
    communities = list(street.communities)
    ids = [c.id for c in communities]
    settings = settings_of(ids)
    mine = (Proposal.community_id.in_(ids), Proposal.state.in_(OPEN_STATES))
    open_counts = dict(db.session.execute(
        select(Proposal.community_id, func.count()).where(*mine).group_by(Proposal.community_id)).all())
    overdue_counts = dict(db.session.execute(
        select(Proposal.community_id, func.count()).where(*mine, _overdue_in(settings, now))
        .group_by(Proposal.community_id)).all())
    longest = soonest_due(settings, now, STREET_OVERDUE_SHOWN, overdue=True) if overdue_counts else []
    rows = [{"community": c, "open": open_counts.get(c.id, 0), "overdue_count": overdue_counts.get(c.id, 0)}
            for c in communities]
    return rows, longest


def _overdue_in(settings, now):
    """Overdue, each community under its own review period ({community id: settings})."""
    return or_(*(and_(Proposal.community_id.in_(cids), overdue_clause(period, now))
                 for period, cids in _by_review_period(settings)))


def _by_review_period(settings):
    """[(settings of one review period, its communities' ids)] of {community id: settings}: the
    deadlines of open proposals differ between communities only by the review period."""
    groups = defaultdict(list)
    for cid, found in settings.items():
        groups[found.review_days].append(cid)
    return [(settings[cids[0]], cids) for cids in groups.values()]


def street_overdue_page(community, now, page, per_page=PER_PAGE):
    """One community's overdue proposals for its street's admin, longest overdue first, 20 a page."""
    settings = settings_for(community)
    wanted = page * per_page
    items = soonest_due({community.id: settings}, now, wanted, overdue=True)
    total = db.session.scalar(select(func.count()).where(
        Proposal.community_id == community.id, overdue_clause(settings, now)))
    return Page(items[wanted - per_page:wanted], total, page, per_page)


def handler_orgs_for(community):

    return [o for o in HandlerOrg.query.filter_by(street_id=community.street_id)
            .order_by(HandlerOrg.id) if o.serves(community)]


def merge_targets(proposal):
    """Earlier published proposals of the same community that can take it in."""
    states = [s.value for s in workflow.MERGE_TARGET_STATES]
    found = (Proposal.query.filter(Proposal.community_id == proposal.community_id,
                                   Proposal.id < proposal.id, Proposal.state.in_(states))
             .order_by(Proposal.id.desc()).limit(100).all())
    # A collection that lapsed is stored as collecting until someone writes the expiry down.
    return [p for p in found if workflow.can_absorb_merge(p.effective_state())]


def similar_hint(proposal):
    """What the similar-proposal hint offers for one proposal: co-signing while it still collects,
    otherwise the way to its answer (its reply, its decline, the proposal it was merged into)."""
    state = proposal.effective_state()
    url = url_for("proposals.show", community_id=proposal.community_id, proposal_id=proposal.id)
    if workflow.can_be_cosigned(state):
        return {"can_cosign": True, "url": url, "next": _("可以附议")}
    if state is ProposalState.merged and proposal.merged_into_id:
        url = url_for("proposals.show", community_id=proposal.community_id,
                      proposal_id=proposal.merged_into_id)
        return {"can_cosign": False, "url": url, "next": _("已并案，查看并入的提案及其答复")}
    if proposal.replies:
        return {"can_cosign": False, "url": url + "#replies",
                "next": _("%(state)s，查看答复", state=state.label)}
    if state is ProposalState.declined:
        return {"can_cosign": False, "url": url + "#decline", "next": _("不予立案，查看说明")}
    return {"can_cosign": False, "url": url, "next": _("%(state)s，查看进展", state=state.label)}


def actions_for(proposal, user, now=None):
    """The actions whose forms to show this user now."""
    if not getattr(user, "is_authenticated", False) or not proposal.is_insider(user):
        return []
    return workflow.allowed_actions(proposal.snapshot(), proposal.roles_of(user), now or utcnow(),
                                    proposal.settings.rules,
                                    has_cosigned=has_cosigned(proposal, user))


def unverified_author_state(proposal, user):
    """The account state ("pending", "rejected") of a draft's author who may not publish it yet,
    so the page says why there is no 发布 button; None for anyone else."""
    if proposal.state != ProposalState.draft.value or user is None \
            or not getattr(user, "is_authenticated", False) or user.id != proposal.author_id:
        return None
    if Role.unverified not in proposal.roles_of(user):
        return None
    return getattr(user.state, "value", user.state)


def can_rate_as_cosigner(proposal, user):
    return (getattr(user, "is_authenticated", False) and proposal.latest_reply is not None
            and proposal.state in (ProposalState.answered.value, ProposalState.closed.value)
            and user.id != proposal.author_id and has_cosigned(proposal, user))


def cosigner_ratings(proposal):
    """{rating label: count} of the co-signers' ratings of the latest reply."""
    reply = proposal.latest_reply
    if reply is None:
        return {}
    prefetched = getattr(proposal, "_cosigner_ratings", None)
    if prefetched is not None:
        return prefetched
    counts = {}
    for c in ProposalCosign.query.filter_by(proposal_id=proposal.id, rated_reply_id=reply.id):
        counts[c.rating_label] = counts.get(c.rating_label, 0) + 1
    return counts


def has_cosigned(proposal, user):
    if not getattr(user, "is_authenticated", False):
        return False
    prefetched = getattr(proposal, "_cosigned", None)
    if prefetched is not None and prefetched[0] == user.id:
        return prefetched[1]
    return ProposalCosign.query.filter_by(proposal_id=proposal.id, user_id=user.id).first() is not None


def whole_rows():
    """Loader options for a list that shows each proposal whole (the API's): what it reads of
    every row, loaded with the rows (a function: options made at import would configure the
    mappers before every area's models exist)."""
    return (selectinload(Proposal.author), selectinload(Proposal.replies), selectinload(Proposal.attachments),
            selectinload(Proposal.handler_org).selectinload(HandlerOrg.links))


def prefetch_whole(items, user):
    """Read, for a list of proposals loaded with `whole_rows()`, what `cosigner_ratings` and
    `has_cosigned` would otherwise ask once per row: two queries for the whole list."""
    if not items:
        return items
    latest = {p.id: p.latest_reply.id for p in items if p.latest_reply is not None}
    ratings = {pid: {} for pid in latest}
    if latest:
        for c in ProposalCosign.query.filter(ProposalCosign.proposal_id.in_(latest),
                                             ProposalCosign.rated_reply_id.in_(latest.values())):
            if latest[c.proposal_id] == c.rated_reply_id:
                counts = ratings[c.proposal_id]
                counts[c.rating_label] = counts.get(c.rating_label, 0) + 1
    mine = set()
    if getattr(user, "is_authenticated", False):
        mine = set(db.session.scalars(select(ProposalCosign.proposal_id).where(
            ProposalCosign.user_id == user.id, ProposalCosign.proposal_id.in_([p.id for p in items]))))
    for p in items:
        p._cosigner_ratings = ratings.get(p.id)
        if getattr(user, "is_authenticated", False):
            p._cosigned = (user.id, p.id in mine)
    return items
