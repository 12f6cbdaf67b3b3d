"""Who may use every URL rule and every Socket.IO event of /live: one line each.

An entry names the roles that get past the access check of the community, street or meeting it
addresses. The data may still say no to an allowed role (a draft is its author's, a vote that has
closed takes no ballot); that is the areas' own tests' business. A role not listed is refused:
302 to the login page or 401 for the anonymous, 403 or 404 for everyone else (404 where telling
"forbidden" would reveal that something exists elsewhere).

tests/security/test_permission_matrix.py fails when the app has a route or an event that is not
listed here, or when one listed here is gone. Adding one is one line:

    ROUTES:  "matters.index": COMMUNITY,              (endpoint name, as `flask routes` prints it)
             "api_x.Items": {"GET": PUBLIC, "POST": STAFF_UP},   (when its methods differ)
    EVENTS:  "cast": MEMBERS,                         (on_cast of the /live namespace, no "on_")

and, for an event, one line in EVENT_PAYLOADS if it needs more than a meeting_id to reach its
permission check (the test sends it as each refused role and expects a refusal, not a payload
error).
"""

# -- roles, as the factory makes them (tests/security/conftest.py `people`) -------------------
ANONYMOUS = "anonymous"          # not logged in
RESIDENT = "resident"            # signed up in the community, not yet verified by an admin
VERIFIED = "verified"            # a verified resident of the community
MEMBER = "body_member"           # a voting member of the community's 两委联席会议
SECRETARY = "secretary"          # that body's secretary (记录员)
CHAIR = "chair"                  # that body's chair (主持人)
STAFF = "staff"                  # community staff (社区工作人员)
ADMIN = "admin"                  # community admin (社区管理员)
STREET_ADMIN = "street_admin"    # admin of the street the community belongs to (街道管理员)
HANDLER = "handler"              # a person of a handling organisation (承办单位), no community

ROLES = (ANONYMOUS, RESIDENT, VERIFIED, MEMBER, SECRETARY, CHAIR, STAFF, ADMIN, STREET_ADMIN, HANDLER)

PUBLIC = frozenset(ROLES)
LOGGED_IN = PUBLIC - {ANONYMOUS}
COMMUNITY = frozenset({RESIDENT, VERIFIED, MEMBER, SECRETARY, CHAIR, STAFF, ADMIN, STREET_ADMIN})
STAFF_UP = frozenset({STAFF, ADMIN, STREET_ADMIN})
ADMINS = frozenset({ADMIN, STREET_ADMIN})
STREET = frozenset({STREET_ADMIN})
HANDLERS = frozenset({HANDLER})
ORGANISERS = frozenset({SECRETARY, CHAIR}) | STAFF_UP          # can_organise(user, body)
RECORDERS = ORGANISERS                                          # Meeting.can_record
MEMBERS = frozenset({MEMBER, SECRETARY, CHAIR})                 # the meeting's member list
MEETING = MEMBERS | RECORDERS                                   # Meeting.can_view (not public)
CHAIR_ONLY = frozenset({CHAIR})
CHAT = MEMBERS | RECORDERS
# Verified people who live in the community (the fixture's staff and admin live there too).
# Committee members (matters' can_draft): staff, or members of 两委 or the party branch committee —
# the fixture's body is 两委联席会议.
COMMITTEE = STAFF_UP | MEMBERS
VERIFIED_RESIDENTS = frozenset({VERIFIED, MEMBER, SECRETARY, CHAIR, STAFF, ADMIN})

ROUTES = {
    # -- frame, accounts -----------------------------------------------------------------------
    "static": PUBLIC,
    "community.index": PUBLIC,
    "core.healthz": PUBLIC,
    "core.favicon": PUBLIC,
    "core.notifications": LOGGED_IN,
    "core.mark_read": LOGGED_IN,
    "core.language": PUBLIC,               # a cookie for visitors, the account's choice too when signed in
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,                 # logging out is harmless for the anonymous
    "auth.register": PUBLIC,
    "auth.activate": PUBLIC,
    "auth.toggle_large_type": PUBLIC,      # a cookie for visitors, the account's flag otherwise
    "auth.profile": LOGGED_IN,
    "auth.change_password": LOGGED_IN,
    # -- community administration ---------------------------------------------------------------
    "community.home": COMMUNITY,
    "community.residents": ADMINS,
    "community.verify_resident": ADMINS,
    "community.reject_resident": ADMINS,
    "community.bodies": ADMINS,
    "community.body": ADMINS,
    "community.body_public": ADMINS,
    "community.add_member": ADMINS,
    "community.update_member": ADMINS,
    "community.remove_member": ADMINS,
    "community.import_register": ADMINS,
    "community.letters": ADMINS,
    "community.print_cards": ADMINS,
    "community.audit_log": ADMINS,
    "community.audit_csv": ADMINS,
    "community.street": STREET,
    "community.handlers": ADMINS,          # street admin: every org; community admin: their own
    "community.add_handler_person": ADMINS,
    "community.remove_handler_person": ADMINS,
    # -- proposals -------------------------------------------------------------------------------
    "proposals.index": COMMUNITY,
    "proposals.similar": COMMUNITY,
    "proposals.new": COMMUNITY,            # drafting is open to the unverified too
    "proposals.edit": COMMUNITY,           # and then only the author, while a draft
    "proposals.show": PUBLIC,              # published proposals are public (DESIGN §3.7)
    "proposals.attachment": PUBLIC,        # files of published proposals, likewise
    "proposals.act": COMMUNITY,            # each action then checks its own role (workflow)
    "proposals.comment": COMMUNITY,
    "proposals.hide_comment": STAFF_UP,
    "proposals.cosigner_rating": COMMUNITY,
    "proposals.follow": COMMUNITY,
    "proposals.delete_attachment": COMMUNITY,
    "proposals.queue": STAFF_UP,
    "proposals.settings": ADMINS,
    "proposals.handling": HANDLERS,
    "proposals.street": STREET,
    # -- consultations ---------------------------------------------------------------------------
    "votes.consultations": COMMUNITY,
    "votes.new_consultation": STAFF_UP,
    "votes.consultation": COMMUNITY,
    # -- meetings --------------------------------------------------------------------------------
    "meetings.index": COMMUNITY,
    "meetings.create": ORGANISERS,
    "meetings.show": MEETING,
    "meetings.add_item": ORGANISERS,
    "meetings.remove_item": ORGANISERS,
    "meetings.announce": ORGANISERS,
    "meetings.cancel": ORGANISERS,
    "meetings.edit": ORGANISERS,
    "meetings.room": MEETING,
    "meetings.projector": RECORDERS,
    "meetings.qr": RECORDERS,
    "meetings.checkin": MEETING,
    "meetings.minutes": MEETING,
    "meetings.sign": MEMBERS,
    "meetings.convene": COMMUNITY,
    "meetings.convene_request": COMMUNITY,
    "meetings.convene_join": COMMUNITY,
    "desk.page": RECORDERS,               # the check-in desk (members see the room, not the desk)
    "desk.roster": RECORDERS,
    "desk.check_in": RECORDERS,
    "desk.undo": RECORDERS,
    # -- JSON API (bearer token; LOGGED_IN means any valid token) --------------------------------
    "api-docs.openapi_json": PUBLIC,
    "api_auth.Token": PUBLIC,
    "api_me.Me": LOGGED_IN,
    "api_proposals.Proposals": COMMUNITY,
    "api_proposals.ProposalItem": PUBLIC - {ANONYMOUS},
    "api_proposals.Similar": COMMUNITY,
    "api_proposals.Proposal_publish": COMMUNITY,
    "api_proposals.Proposal_withdraw": COMMUNITY,
    "api_proposals.Proposal_cosign": COMMUNITY,
    "api_proposals.Proposal_take-to-review": STAFF_UP,
    "api_proposals.Review": STAFF_UP,
    "api_proposals.Assign": STAFF_UP,
    "api_proposals.Extend": STAFF_UP | HANDLERS,
    "api_proposals.Return": HANDLERS,
    "api_proposals.Answer": STAFF_UP | HANDLERS,
    "api_proposals.Rate": COMMUNITY,
    "api_proposals.CosignerRating": COMMUNITY,
    "api_proposals.Escalate": COMMUNITY,
    "api_proposals.Comments": COMMUNITY,
    "api_proposals.HideComment": STAFF_UP,
    "api_proposals.Follow": COMMUNITY,
    "api_consultations.Consultations": COMMUNITY,
    "api_consultations.ConsultationItem": COMMUNITY,
    "api_consultations.Responses": COMMUNITY,
    "api_meetings.Meetings": ORGANISERS,
    "api_meetings.MeetingResource": {"GET": MEETING, "PATCH": ORGANISERS},
    "api_meetings.Agenda": MEETING,
    "api_meetings.Announce": ORGANISERS,
    "api_meetings.CheckIns": RECORDERS,
    "api_meetings.CheckIn": RECORDERS,
    "api_meetings.Start": RECORDERS,
    "api_meetings.Cancel": ORGANISERS,
    # -- meeting votes ---------------------------------------------------------------------------
    "votes.receipts": PUBLIC,              # after the close (409 while open); a non-public body's: 404 but to members and staff until published
    "api_votes.MeetingVotes": {"GET": MEETING, "POST": CHAIR_ONLY},
    "api_votes.VoteResource": MEETING,
    "api_votes.Cast": MEMBERS,
    "api_votes.Hall": RECORDERS,
    "api_votes.Close": CHAIR_ONLY,
    "api_votes.Receipts": PUBLIC,          # as votes.receipts
    # -- major matters (四议两公开) ----------------------------------------------------------------
    "matters.index": PUBLIC,               # published matters; insiders see every stage
    "matters.show": PUBLIC,
    "matters.attachment": PUBLIC,
    "matters.minutes": PUBLIC,
    "matters.new": COMMITTEE,
    "matters.edit": COMMITTEE,
    "matters.from_proposal": STAFF_UP,
    "matters.schedule": COMMITTEE,
    "matters.answer": COMMITTEE,
    "matters.start": COMMITTEE,
    "matters.report": COMMITTEE,
    "matters.reasons": COMMITTEE,
    "matters.settings": STAFF_UP,
    "matters.objection": VERIFIED_RESIDENTS,
    "matters.accept": VERIFIED_RESIDENTS,  # the objector only
    "matters.follow": LOGGED_IN,
    "api_matters.Matters": {"GET": PUBLIC, "POST": COMMITTEE},
    "api_matters.MatterItem": {"GET": PUBLIC, "PATCH": COMMITTEE},
    "api_matters.Trail": PUBLIC,
    "api_matters.Schedule": COMMITTEE,
    "api_matters.Objections": {"GET": PUBLIC, "POST": VERIFIED_RESIDENTS},
    "api_matters.AnswerObjection": COMMITTEE,
    "api_matters.AcceptAnswer": VERIFIED_RESIDENTS,
    "api_matters.Implementation": COMMITTEE,
    "api_matters.Reports": {"GET": PUBLIC, "POST": COMMITTEE},
    "api_matters.Follow": LOGGED_IN,
    # -- the notice board ----------------------------------------------------------------------
    "notice.board": PUBLIC,
    "notice.community_board": PUBLIC,
    "notice.feed": PUBLIC,
    "notice.export_csv": PUBLIC,
    "notice.item": PUBLIC,
    "notice.print_sheet": PUBLIC,
    "notice.stats_page": PUBLIC,
    "notice.stats_csv": PUBLIC,
    "notice.manage": ADMINS,
    "notice.edit": ADMINS,
    "notice.publish": ADMINS,
    "notice.withdraw": ADMINS,
    "api_notices.Notices": PUBLIC,
    "api_notices.Stats": PUBLIC,
    "api_notices.NoticeItem": PUBLIC,
    "api_notices.ManageNotices": ADMINS,
    "api_notices.ManageNotice": ADMINS,
    "api_notices.PublishNotice": ADMINS,
    "api_notices.WithdrawNotice": ADMINS,
    # -- 民生微实事 (the notice board's pages are public; the area's pages are the community's, and
    #    a project's page is also its handler's; each operation then checks its own role) --------
    "notice.micro_index": PUBLIC,
    "notice.micro_round": PUBLIC,
    "notice.micro_print": PUBLIC,
    "notice.micro_receipts": PUBLIC,
    "notice.micro_json": PUBLIC,
    "notice.micro_csv": PUBLIC,
    "notice.micro_feed": PUBLIC,
    "notice.micro_stats": PUBLIC,
    "microprojects.index": COMMUNITY,
    "microprojects.new": STAFF_UP,
    "microprojects.show": COMMUNITY,
    "microprojects.schedule": STAFF_UP,
    "microprojects.promote": COMMUNITY,
    "microprojects.new_idea": COMMUNITY,
    "microprojects.similar": COMMUNITY,
    "microprojects.idea": COMMUNITY | HANDLERS,
    "microprojects.act": COMMUNITY | HANDLERS,
    "microprojects.complete": STAFF_UP | HANDLERS,
    "microprojects.photo": PUBLIC,
    "microprojects.ballot": COMMUNITY,
    "microprojects.paper": STAFF_UP,
    "api_microprojects.Rounds": {"GET": COMMUNITY, "POST": STAFF_UP},
    "api_microprojects.RoundItem": PUBLIC,
    "api_microprojects.Ideas": COMMUNITY,
    "api_microprojects.Promote": COMMUNITY,
    "api_microprojects.Similar": COMMUNITY,
    "api_microprojects.Deliberation": STAFF_UP,
    "api_microprojects.Ballot": COMMUNITY,
    "api_microprojects.PaperVoters": STAFF_UP,
    "api_microprojects.PaperTotals": STAFF_UP,
    "api_microprojects.Receipts": PUBLIC,
    "api_microprojects.IdeaCosign": COMMUNITY,
    "api_microprojects.IdeaScreen": STAFF_UP,
    "api_microprojects.IdeaAssign": STAFF_UP,
    "api_microprojects.IdeaMilestones": STAFF_UP | HANDLERS,
    "api_microprojects.IdeaMilestoneDone": STAFF_UP | HANDLERS,
    "api_microprojects.IdeaSpendings": STAFF_UP | HANDLERS,
    "api_microprojects.IdeaRate": COMMUNITY,
    "api_microprojects.IdeaAccept": STAFF_UP,
    "api_microprojects.IdeaConfirm": COMMUNITY,   # a member of the 居务监督委员会
}


def roles_for(endpoint, method="GET"):
    """The roles allowed to call `endpoint` with `method`."""
    entry = ROUTES[endpoint]
    return entry[method] if isinstance(entry, dict) else entry

# Socket.IO namespace /live: the on_<event> methods of the namespace the app registers
# (app.live.Live: the meeting commands and the vote commands).
EVENTS = {
    "connect": LOGGED_IN,          # session cookie or auth={"token": ...}; the anonymous are refused
    "disconnect": LOGGED_IN,
    "join": MEETING,
    "leave": MEETING,
    "sync": MEETING,               # the room's version, to a socket that joined it
    "start_meeting": frozenset({CHAIR, SECRETARY}) | STAFF_UP,
    "next_item": CHAIR_ONLY,
    "give_floor": CHAIR_ONLY,
    "end_floor": CHAIR_ONLY,
    "add_speaker": CHAIR_ONLY,
    "hide_chat": CHAIR_ONLY,
    "end_meeting": CHAIR_ONLY,
    "check_in": RECORDERS,         # or a member checking themself in with the hall's token
    "raise_hand": MEMBERS,
    "lower_hand": MEMBERS,
    "chat": CHAT,
    "open_vote": CHAIR_ONLY,
    "cast": MEMBERS,               # voting members present online
    "enter_hall_votes": RECORDERS,
    "close_vote": CHAIR_ONLY,
}

# What each command needs besides meeting_id to reach its permission check. The values name
# things of the test's meeting (tests/security/site.py `open_live_meeting`): "member" is the id of
# a member of the meeting, "message" the id of a chat message in it, "vote" its open vote.
EVENT_PAYLOADS = {
    "give_floor": {"speaker_id": "member"},
    "add_speaker": {"user_id": "member"},
    "hide_chat": {"message_id": "message"},
    "check_in": {"user_id": "member"},
    "chat": {"text": "权限测试"},
    "next_item": {"index": 1},
    "open_vote": {"kind": "named"},
    "cast": {"vote_id": "vote", "choice": 0, "nonce": "permission-test"},
    "enter_hall_votes": {"vote_id": "vote", "entries": {}},
    "close_vote": {"vote_id": "vote"},
}
