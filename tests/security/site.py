"""The site as the attack tests walk it: a live meeting, and every page a role can be sent to."""
from datetime import timedelta

from flask import url_for

SWEEP_ARGS = {"community_id", "street_id", "meeting_id"}


def open_live_meeting(people, db):
    """A live meeting of the people's body with an agenda and a chat message; ids by name."""
    from app.core.timeutil import utcnow
    from app.meetings import live, operations

    from tests.security import permission_matrix as pm

    chair = people[pm.CHAIR]
    start = utcnow() + timedelta(minutes=10)   # due: it may start now (set-up margin)
    meeting = operations.create_meeting(chair, people.body, title="权限测试会议", start_dt=start,
                                        place="社区会议室")
    for title in ("第一项", "第二项"):
        operations.add_item(chair, meeting, title=title, description="说明")
    operations.announce(chair, meeting, now=start - timedelta(days=30))
    operations.start(chair, meeting)
    db.session.commit()
    message = live.post_chat(chair, meeting, "会前说明")
    db.session.commit()
    room = {"meeting": meeting.id, "message": message.id, "member": people[pm.MEMBER].id}
    try:
        from app.votes import operations as votes
    except ImportError:
        return room
    # An open vote, for the vote commands: the body's three members are in the hall.
    for role in (pm.CHAIR, pm.SECRETARY, pm.MEMBER):
        live.check_in(chair, meeting, people[role].id)
    room["vote"] = votes.open_vote(chair, meeting, title="权限测试表决").id
    db.session.commit()
    return room


def url_values(rule, people, room):
    """Arguments for a URL rule: the people's community, street and meeting; 1 for anything else."""
    known = {"community_id": people.community.id, "street_id": people.street.id,
             "meeting_id": room["meeting"], "org_id": people.org.id, "action": "publish",
             "filename": "css/app.css"}
    return {arg: known.get(arg, 1) for arg in rule.arguments}


def pages(app, people, room):
    """(endpoint, path) of every HTML GET page whose ids the fixtures make."""
    found = []
    for rule in app.url_map.iter_rules():
        if ("GET" in rule.methods and set(rule.arguments) <= SWEEP_ARGS
                and not rule.rule.startswith("/api/") and rule.endpoint not in ("static", "core.favicon")):
            with app.test_request_context():
                found.append((rule.endpoint, url_for(rule.endpoint, **url_values(rule, people, room))))
    return sorted(found)


# -- a furnished community: something of every kind, every text written by its users ---------------

# Not HTML pages: downloads, images, JSON, the feed (the XSS test opens the feed by itself).
NOT_HTML = frozenset({"static", "core.healthz", "core.favicon", "community.audit_csv", "notice.export_csv",
                      "notice.stats_csv", "notice.feed", "meetings.qr", "desk.roster", "proposals.similar",
                      "proposals.attachment", "matters.attachment", "notice.micro_feed", "notice.micro_json",
                      "notice.micro_csv", "microprojects.similar", "microprojects.photo"})
MATTER_BODIES = ("party_branch_committee", "two_committees", "party_members_assembly",
                 "representatives_assembly")


class Furnished:
    """What `furnish` made: `users` (people's roles plus "author", "neighbour", "delegate"),
    `ids` (URL arguments), `variants` (endpoint -> [(who or None, extra URL arguments)])."""


def furnish(people, make, db, say):
    """Fill the people's community through the operations, as its users would, every user text
    from `say(kind)`: "name", "short" (address parts), "plain" (titles, reasons, places),
    "label" (options), "chat", or "md" (Markdown: descriptions, bodies, plans).

    Residents sign up (names and addresses) and are verified or rejected; a handling organisation;
    proposals in every state (answered and rated, declined, returned, merged, draft, collecting)
    with comments, one hidden; a matter through all four votes to implementation, with an answered
    objection and a report, and one sent back with reasons; a live meeting with notes, chat (one
    hidden), a raised hand, a closed named vote and an open secret one with options; a cancelled
    meeting; a request to convene; a consultation; notices published, draft and withdrawn.
    """
    from flask import current_app

    with current_app.test_request_context():   # notifications carry links
        return _furnish(people, make, db, say)


def _furnish(people, make, db, say):
    from app.auth import operations as accounts
    from app.community import operations as community_ops
    from app.core.timeutil import utcnow
    from app.matters import operations as matters
    from app.meetings import convene as convening
    from app.meetings import live as meeting_live
    from app.matters import agenda, decisions
    from app.meetings import operations as meetings
    from app.notice import operations as notices
    from app.proposals import operations as proposals
    from app.proposals import comments as proposal_comments, drafts
    from app.votes import consultations
    from app.votes import operations as votes

    from tests.conftest import PASSWORD
    from tests.security import permission_matrix as pm

    c, site = people.community, Furnished()
    admin, staff, chair = people[pm.ADMIN], people[pm.STAFF], people[pm.CHAIR]
    secretary, member, handler = people[pm.SECRETARY], people[pm.MEMBER], people[pm.HANDLER]
    commit = db.session.commit

    def sign_up():
        user = accounts.register(phone=make.phone(), password=PASSWORD, name=say("name"),
                                 community_id=c.id, building=say("short"), unit=say("short"),
                                 room=say("short"))
        commit()
        return user

    author, neighbour, delegate, rejected = sign_up(), sign_up(), sign_up(), sign_up()
    sign_up()   # stays pending
    for user in (author, neighbour, delegate):
        accounts.verify(admin, user)
    accounts.reject(admin, rejected, say("plain"))
    commit()
    site.users = dict(people.users, author=author, neighbour=neighbour, delegate=delegate)

    org = community_ops.create_handler_org(admin, people.street, name=say("plain"), kind="property",
                                           community=c)
    commit()
    community_ops.add_handler_person(admin, org, handler.phone)
    commit()

    # -- proposals -------------------------------------------------------------------------------
    def proposal(publish=True, review=True):
        p = drafts.create_draft(author, c, title=say("plain"), category="停车交通",
                                   problem=say("md"), suggestion=say("md"), place=say("plain"))
        commit()
        if publish:
            proposals.publish(author, p)
            commit()
        if review:
            proposals.take_to_review(staff, p)
            commit()
        return p

    answered, declined, returned, merged = proposal(), proposal(), proposal(), proposal()
    draft, collecting = proposal(publish=False, review=False), proposal(review=False)
    for p in (answered, returned):
        proposals.accept(staff, p)
        proposals.assign(staff, p, org.id)
        commit()
    proposals.extend(handler, answered, say("plain"))
    commit()
    proposals.answer(handler, answered, "B", say("md"))
    commit()
    proposals.rate(author, answered, "basically_satisfied")
    proposals.decline(staff, declined, "not_community_affair", say("md"))
    proposals.return_assignment(handler, returned, say("plain"))
    commit()
    proposals.merge(staff, merged, returned.id, say("plain"))
    proposals.cosign(neighbour, collecting)
    commit()
    comments = [proposal_comments.add_comment(neighbour, answered, say("md")) for _ in range(2)]
    commit()
    proposal_comments.hide_comment(staff, answered, comments[1].id, say("plain"))
    commit()

    # -- a major matter through the four votes, and one sent back ----------------------------------
    bodies = {key: c.body_by_preset(key) for key in MATTER_BODIES}
    for key in MATTER_BODIES:
        if key != "two_committees":
            make.member(bodies[key], chair, role="chair")
            make.member(bodies[key], secretary, role="secretary")
            make.member(bodies[key], member)
    for key in ("two_committees", "representatives_assembly"):
        make.member(bodies[key], delegate)

    def decide(matter, key, choice="yes"):
        body = bodies[key]
        start = utcnow() + timedelta(minutes=10)   # announced 30 days ago, due now
        meeting = meetings.create_meeting(staff, body, title=say("plain"), start_dt=start,
                                          place=say("plain"))
        meetings.add_item(staff, meeting, title=say("plain"), description=say("md"))
        agenda.schedule(staff, matter, meeting)
        meetings.announce(staff, meeting, now=start - timedelta(days=30))
        meetings.start(chair, meeting)
        voters = [m.user for m in body.memberships]
        for user in voters:
            meeting_live.check_in(chair, meeting, user.id)
        meeting_live.next_item(chair, meeting, next(i for i, it in enumerate(meeting.items) if it.matter_id))
        commit()
        vote = votes.open_vote(chair, meeting)
        commit()
        votes.enter_hall_votes(chair, vote, entries={user.id: choice for user in voters})
        commit()
        votes.close_vote(chair, vote)
        commit()
        meetings.end_meeting(chair, meeting)
        commit()
        db.session.refresh(matter)
        return meeting

    matter = matters.create(staff, c, title=say("plain"), kind="工程建设与修缮", plan=say("md"),
                            budget_fen=8_600_000)
    commit()
    held = [decide(matter, key) for key in MATTER_BODIES]
    objection = decisions.raise_objection(neighbour, matter, say("md"))
    commit()
    decisions.answer_objection(staff, objection, say("md"))
    decisions.accept_answer(neighbour, objection)
    commit()
    decisions.start_implementation(staff, matter, now=matter.resolution_published_dt
                                 + timedelta(days=matter.objection_days))
    commit()
    matters.add_report(staff, matter, text=say("md"), percent_done=60, spent_fen=5_000_000)
    commit()
    sent_back = matters.create(staff, c, title=say("plain"), kind="公共资金使用", plan=say("md"))
    commit()
    decide(sent_back, "party_branch_committee", choice="no")
    decisions.add_reasons(staff, sent_back, sent_back.steps[-1].id, say("md"))
    commit()
    meetings.sign_minutes(chair, held[-1])
    commit()

    # -- meetings: a live one, a cancelled one, a request to convene -----------------------------
    body = bodies["two_committees"]
    start = utcnow() + timedelta(minutes=10)
    live = meetings.create_meeting(chair, body, title=say("plain"), start_dt=start,
                                   place=say("plain"), notice_text=say("md"))
    for _ in range(3):
        meetings.add_item(chair, live, title=say("plain"), description=say("md"))
    meetings.announce(chair, live, now=start - timedelta(days=30))
    meetings.start(chair, live)
    for user in (chair, secretary, member, delegate):
        meeting_live.check_in(chair, live, user.id)
    commit()
    meetings.save_notes(secretary, live, say("md"))
    messages = [meeting_live.post_chat(user, live, say("chat")) for user in (member, delegate, member)]
    commit()
    meeting_live.hide_chat(chair, live, messages[-1].id, say("plain"))
    meeting_live.raise_hand(delegate, live)
    commit()
    closed = votes.open_vote(chair, live, title=say("plain"), kind="named",
                             labels=[say("label") for _ in range(3)], up_to=2)
    commit()
    votes.enter_hall_votes(chair, closed, entries={u.id: [0, 2] for u in (chair, secretary, member)})
    commit()
    votes.close_vote(chair, closed)
    meeting_live.next_item(chair, live, 1)
    commit()
    votes.open_vote(chair, live, title=say("plain"), kind="secret",
                    labels=[say("label") for _ in range(3)])
    commit()

    cancelled = meetings.create_meeting(chair, body, title=say("plain"), place=say("plain"),
                                        start_dt=start + timedelta(days=9), notice_text=say("md"))
    meetings.add_item(chair, cancelled, title=say("plain"), description=say("md"))
    meetings.cancel(chair, cancelled, say("plain"))
    request = convening.file_convene(member, bodies["representatives_assembly"], say("plain"),
                                     say("md"))
    commit()
    convening.join_convene(delegate, request)
    commit()

    # -- a consultation, notices -------------------------------------------------------------------
    now = utcnow()
    consultation = consultations.create_consultation(staff, c, title=say("plain"), description=say("md"),
                                             labels=[say("label") for _ in range(3)], up_to=2,
                                             start_dt=now - timedelta(hours=1),
                                             end_dt=now + timedelta(days=7))
    commit()
    consultations.respond(neighbour, consultation, [0, 1])
    commit()
    notice = notices.create(admin, c, title=say("plain"), category="居务公开", body=say("md"),
                            publish_now=True)
    draft_notice = notices.create(admin, c, title=say("plain"), category="财务公开", body=say("md"))
    gone = notices.create(admin, c, title=say("plain"), category="其他", body=say("md"),
                          publish_now=True)
    commit()
    notices.withdraw(admin, gone, say("plain"))
    commit()

    site.ids = {"community_id": c.id, "street_id": people.street.id, "meeting_id": live.id,
                "org_id": org.id, "body_id": body.id, "proposal_id": answered.id,
                "matter_id": matter.id, "consultation_id": consultation.id, "vote_id": closed.id,
                "notice_id": draft_notice.id, "request_id": request.id, "kind": "proposal",
                "source_id": answered.id}
    site.titles = {"answered": answered.title}
    items = [("proposal", answered.id), ("proposal", declined.id), ("meeting", held[-1].id),
             ("general", notice.id), ("resolution", matter.id)]
    site.variants = {
        "proposals.show": [(None, {"proposal_id": p.id})
                           for p in (answered, declined, returned, merged, collecting)]
        + [("author", {"proposal_id": draft.id})],
        "proposals.edit": [("author", {"proposal_id": draft.id})],
        "matters.show": [(None, {"matter_id": m.id}) for m in (matter, sent_back)],
        "matters.edit": [(None, {"matter_id": sent_back.id})],
        "matters.minutes": [(None, {"meeting_id": held[-1].id})],
        "meetings.show": [(None, {"meeting_id": m.id}) for m in (live, cancelled, held[-1])],
        "meetings.minutes": [(None, {"meeting_id": m.id}) for m in (live, held[-1])],
        "meetings.room": [(pm.CHAIR, {}), ("delegate", {})],
        "notice.item": [(None, {"kind": k, "source_id": i}) for k, i in items],
        "notice.print_sheet": [(None, {"kind": k, "source_id": i}) for k, i in items],
        "notice.edit": [(None, {"notice_id": n.id}) for n in (draft_notice, notice)],
        "core.notifications": [("author", {}), (pm.ADMIN, {})],
        "auth.profile": [("author", {})],
    }
    return site


def site_pages(app, site, order):
    """(endpoint, who, path) of every HTML GET page of the URL map, with the furnished site's ids:
    as the first role in `order` the permission matrix lets in, or as its variants say."""
    from tests.security import permission_matrix as pm

    found = []
    for rule in app.url_map.iter_rules():
        if ("GET" not in rule.methods or rule.rule.startswith("/api/") or rule.endpoint in NOT_HTML
                or not set(rule.arguments) <= set(site.ids)):
            continue
        allowed = pm.roles_for(rule.endpoint, "GET")
        default = next((role for role in order if role in allowed), None)
        for who, extra in site.variants.get(rule.endpoint, [(None, {})]):
            who = who or default
            if who is None:
                continue
            values = {arg: extra.get(arg, site.ids[arg]) for arg in rule.arguments}
            with app.test_request_context():
                found.append((rule.endpoint, who, url_for(rule.endpoint, **values)))
    return sorted(found)


def settle():
    """Check-ins and hall entries start the room's presence and progress messages in background
    threads that read the database a moment later: let them finish before the tables are emptied."""
    import time

    from app.meetings import live
    from app.votes import operations as votes

    deadline = time.monotonic() + 5
    while (live._presence_pending or votes._progress_pending) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.05)


def log_in(context, user):
    """A page of `context` logged in as `user` (None: not logged in). The login form is posted,
    with its CSRF token, by the context's own request client, which shares the context's cookies:
    the pages are then opened logged in, without Chromium rendering the login page and the home
    page once more for every role (both are among the pages checked; tests/e2e log in by hand)."""
    import re

    from tests.conftest import PASSWORD

    page = context.new_page()
    if user is None:
        return page
    form = context.request.get("/auth/login").text()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = context.request.post("/auth/login", max_redirects=0, form={
        "phone": user.phone, "password": PASSWORD, "csrf_token": token})
    assert response.status == 302 and "/auth/login" not in response.headers["location"], \
        f"{user.phone} could not log in"
    return page
