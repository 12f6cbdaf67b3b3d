"""Unit tests of the resident proposal state machine: the full matrix, then every boundary."""

import re
from datetime import datetime, timedelta, timezone

import pytest

from app.proposals.workflow import (
    Action,
    DeclineGround,
    Deadline,
    ProposalState,
    Rating,
    ReplyCategory,
    Role,
    Settings,
    Snapshot,
    allowed_actions,
    can_absorb_merge,
    can_be_cosigned,
    deadlines,
    decide,
    effective_state,
    is_overdue,
    standing,
)
from app.core.refusal import Refused

S = Settings()
T0 = datetime(2025, 3, 1, 8, 0, 0)
NOW = T0 + timedelta(days=1)  # inside every period of every scenario below
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
P = ProposalState
A = Action
R = Role
CJK = re.compile(r"[\u4e00-\u9fff]")

# Complete, valid input, so that the matrix only exercises state and role.
VALID = {
    "reason": "理由",
    "ground": DeclineGround.no_suggestion,
    "category": ReplyCategory.A,
    "rating": Rating.satisfied,
}

SCENARIOS = {
    "draft": Snapshot(P.draft),
    "collecting": Snapshot(P.collecting, published_dt=T0, cosign_count=1),
    # Stored as collecting, but the window closed with too few co-signers.
    "lapsed": Snapshot(P.collecting, published_dt=T0 - 20 * DAY, cosign_count=1),
    "under_review": Snapshot(P.under_review, published_dt=T0, cosign_count=5,
                             review_started_dt=T0),
    "accepted": Snapshot(P.accepted, review_started_dt=T0),
    "assigned": Snapshot(P.assigned, review_started_dt=T0, assigned_dt=T0,
                         reply_due_dt=T0 + 30 * DAY),
    "answered": Snapshot(P.answered, assigned_dt=T0, reply_due_dt=T0 + 30 * DAY),
    "declined": Snapshot(P.declined),
    "merged": Snapshot(P.merged),
    "closed": Snapshot(P.closed),
    "expired": Snapshot(P.expired, published_dt=T0 - 20 * DAY),
    "escalated": Snapshot(P.escalated),
    "withdrawn": Snapshot(P.withdrawn),
}

STAFF = {R.staff}
EVERYONE = set(Role)

# (scenario, action) -> (roles allowed, resulting state); every other pair is refused.
ALLOWED = {
    ("draft", A.publish): ({R.author}, P.collecting),
    ("draft", A.withdraw): ({R.author}, P.withdrawn),
    ("collecting", A.cosign): ({R.resident}, P.collecting),
    ("collecting", A.take_to_review): (STAFF, P.under_review),
    ("collecting", A.withdraw): ({R.author}, P.withdrawn),
    ("lapsed", A.expire): (EVERYONE, P.expired),
    ("under_review", A.accept): (STAFF, P.accepted),
    ("under_review", A.decline): (STAFF, P.declined),
    ("under_review", A.merge): (STAFF, P.merged),
    ("under_review", A.escalate): (STAFF, P.escalated),
    ("accepted", A.assign): (STAFF, P.assigned),
    ("accepted", A.escalate): (STAFF, P.escalated),
    ("assigned", A.extend): ({R.staff, R.handler}, P.assigned),
    ("assigned", A.return_assignment): ({R.handler}, P.accepted),
    ("assigned", A.answer): ({R.handler}, P.answered),
    ("assigned", A.escalate): (STAFF, P.escalated),
    ("answered", A.rate): ({R.author}, P.closed),
}


def refused(snap, action, role, now=NOW, settings=S, **kwargs):
    with pytest.raises(Refused) as info:
        decide(snap, action, role, now, settings, **kwargs)
    return info.value


def expected_refusal(scenario, action):
    if action is A.cosign and scenario in ("lapsed", "expired"):
        return "window_closed"
    return "wrong_state"


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_matrix(scenario, action, role):
    snap = SCENARIOS[scenario]
    rule = ALLOWED.get((scenario, action))
    if rule is not None and role in rule[0]:
        transition = decide(snap, action, role, NOW, S, **VALID)
        assert transition.from_state is snap.state
        assert transition.to_state is rule[1]
        assert transition.action is action
        assert CJK.search(str(transition.note))
        return
    error = refused(snap, action, role, **VALID)
    assert error.code == (expected_refusal(scenario, action) if rule is None else "not_allowed")
    assert CJK.search(error.message), error.message
    assert str(error) == error.message


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_allowed_actions_match_the_matrix(scenario, role):
    expected = [
        action for action in Action
        if action is not A.expire and role in ALLOWED.get((scenario, action), (set(), None))[0]
    ]
    assert allowed_actions(SCENARIOS[scenario], role, NOW, S) == expected


def test_matrix_covers_every_state():
    assert {snap.state for snap in SCENARIOS.values()} == set(ProposalState)


def test_there_is_no_rated_state():
    # The rating moves the proposal straight on; a `rated` state would never hold anything.
    assert "rated" not in ProposalState.__members__


# --- several roles at once -------------------------------------------------------------------

def test_a_staff_member_who_lives_here_may_cosign_and_take_to_review():
    snap = SCENARIOS["collecting"]
    assert allowed_actions(snap, [R.resident, R.staff], NOW, S) == [A.cosign, A.take_to_review]
    assert decide(snap, A.cosign, [R.staff, R.resident], NOW, S).to_state is P.collecting


def test_with_several_roles_the_specific_refusal_wins_over_not_allowed():
    snap = SCENARIOS["collecting"]
    error = refused(snap, A.cosign, [R.staff, R.resident], has_cosigned=True)
    assert error.code == "already_cosigned"


def test_no_role_at_all_is_not_allowed():
    assert refused(SCENARIOS["draft"], A.publish, []).code == "not_allowed"


def test_roles_may_be_plain_strings():
    assert decide(SCENARIOS["draft"], "publish", "author", NOW, S).to_state is P.collecting


@pytest.mark.parametrize("role, fragment", [
    (R.other, "不是本社区"),
    (R.unverified, "认证"),
    (R.author, "提案人不能"),
    (R.staff, "居民"),
])
def test_cosign_refusals_say_why(role, fragment):
    assert fragment in refused(SCENARIOS["collecting"], A.cosign, role).message


# --- publishing and the co-signing window ---------------------------------------------------

def test_publish_opens_the_window():
    t = decide(SCENARIOS["draft"], A.publish, R.author, NOW, S)
    assert t.due_dt == NOW + 14 * DAY


def collecting(count, published=T0):
    return Snapshot(P.collecting, published_dt=published, cosign_count=count)


@pytest.mark.parametrize("before, to_state", [
    (0, P.collecting),
    (S.cosign_threshold - 2, P.collecting),   # the co-sign makes threshold - 1
    (S.cosign_threshold - 1, P.under_review),  # the co-sign makes exactly the threshold
])
def test_cosign_moves_to_review_exactly_at_the_threshold(before, to_state):
    t = decide(collecting(before), A.cosign, R.resident, NOW, S)
    assert t.to_state is to_state
    if to_state is P.under_review:
        assert t.due_dt == NOW + 7 * DAY
    else:
        assert t.due_dt == T0 + 14 * DAY
        assert f"{before + 1}/{S.cosign_threshold}" in t.note


def test_threshold_of_one_moves_on_the_first_cosign():
    settings = Settings(cosign_threshold=1)
    t = decide(collecting(0), A.cosign, R.resident, NOW, settings)
    assert t.to_state is P.under_review


def test_cosign_once_per_person():
    error = refused(collecting(1), A.cosign, R.resident, has_cosigned=True)
    assert error.code == "already_cosigned"


def test_window_end_instant_is_outside_the_window():
    end = T0 + 14 * DAY
    snap = collecting(1)
    assert decide(snap, A.cosign, R.resident, end - SECOND, S).to_state is P.collecting
    assert refused(snap, A.cosign, R.resident, now=end).code == "window_closed"
    assert effective_state(snap, end - SECOND, S) is P.collecting
    assert effective_state(snap, end, S) is P.expired


def test_last_cosign_one_second_before_the_end_still_reaches_review():
    t = decide(collecting(4), A.cosign, R.resident, T0 + 14 * DAY - SECOND, S)
    assert t.to_state is P.under_review


def test_expiry_is_derived_from_the_clock_and_can_be_recorded():
    end = T0 + 14 * DAY
    snap = collecting(4)
    assert refused(snap, A.expire, R.other, now=end - SECOND).code == "wrong_state"
    t = decide(snap, A.expire, R.other, end, S)
    assert (t.from_state, t.to_state) == (P.collecting, P.expired)
    assert allowed_actions(snap, [R.author, R.staff, R.resident], end, S) == []


def test_recorded_expiry_cannot_be_recorded_again():
    assert refused(SCENARIOS["expired"], A.expire, R.staff).code == "wrong_state"


def test_threshold_met_but_not_moved_does_not_expire():
    # e.g. the community lowered its threshold: the proposal waits for staff, flagged overdue.
    end = T0 + 14 * DAY
    snap = collecting(5)
    assert effective_state(snap, end + DAY, S) is P.collecting
    assert refused(snap, A.cosign, R.resident, now=end).code == "window_closed"
    assert decide(snap, A.take_to_review, R.staff, end + DAY, S).to_state is P.under_review
    assert is_overdue(snap, end, S)
    assert not is_overdue(snap, end - SECOND, S)


def test_window_follows_the_community_settings():
    settings = Settings(window_days=3)
    snap = collecting(1)
    assert effective_state(snap, T0 + 3 * DAY - SECOND, settings) is P.collecting
    assert effective_state(snap, T0 + 3 * DAY, settings) is P.expired


def test_take_to_review_starts_the_review_period():
    t = decide(collecting(0), A.take_to_review, R.staff, NOW, S)
    assert (t.to_state, t.due_dt) == (P.under_review, NOW + 7 * DAY)


def test_withdrawing_a_lapsed_proposal_is_refused():
    assert refused(SCENARIOS["lapsed"], A.withdraw, R.author).code == "wrong_state"


# --- review ---------------------------------------------------------------------------------

def test_decline_needs_a_ground():
    error = refused(SCENARIOS["under_review"], A.decline, R.staff, reason="说明")
    assert error.code == "ground_required"


def test_decline_rejects_an_unknown_ground():
    error = refused(SCENARIOS["under_review"], A.decline, R.staff, reason="说明", ground="rude")
    assert error.code == "ground_required"


@pytest.mark.parametrize("reason", ["", "   "])
def test_decline_needs_an_explanation(reason):
    error = refused(SCENARIOS["under_review"], A.decline, R.staff, reason=reason,
                    ground=DeclineGround.advertising)
    assert error.code == "reason_required"


@pytest.mark.parametrize("ground", list(DeclineGround))
def test_decline_accepts_every_ground_and_names_it(ground):
    t = decide(SCENARIOS["under_review"], A.decline, R.staff, NOW, S, reason="说明",
               ground=ground.value)
    assert t.to_state is P.declined
    assert ground.label in t.note


def test_review_deadline_boundary():
    snap = SCENARIOS["under_review"]
    due = T0 + 7 * DAY
    assert deadlines(snap, due - SECOND, S) == Deadline("review", due, 1, False)
    assert deadlines(snap, due, S) == Deadline("review", due, 0, True)
    assert deadlines(snap, due + SECOND, S) == Deadline("review", due, -1, True)


def test_late_review_is_still_possible():
    t = decide(SCENARIOS["under_review"], A.accept, R.staff, T0 + 30 * DAY, S)
    assert t.to_state is P.accepted


def test_accepted_keeps_the_review_deadline_until_assigned():
    snap = SCENARIOS["accepted"]
    assert deadlines(snap, NOW, S).kind == "assign"
    assert deadlines(snap, NOW, S).due_dt == T0 + 7 * DAY
    assert decide(SCENARIOS["under_review"], A.accept, R.staff, NOW, S).due_dt == T0 + 7 * DAY


@pytest.mark.parametrize("scenario", ["under_review", "accepted", "assigned"])
def test_escalation_needs_a_reason(scenario):
    assert refused(SCENARIOS[scenario], A.escalate, R.staff).code == "reason_required"


# --- assignment, extension, return ---------------------------------------------------------

def assigned(**changes):
    fields = dict(review_started_dt=T0, assigned_dt=T0, reply_due_dt=T0 + 30 * DAY)
    fields.update(changes)
    return Snapshot(P.assigned, **fields)


def test_assign_gives_the_reply_period():
    t = decide(SCENARIOS["accepted"], A.assign, R.staff, NOW, S)
    assert (t.to_state, t.due_dt) == (P.assigned, NOW + 30 * DAY)


def test_reassigning_a_rehandled_proposal_gives_the_rehandling_period():
    snap = Snapshot(P.accepted, review_started_dt=T0, rehandle_count=1)
    assert decide(snap, A.assign, R.staff, NOW, S).due_dt == NOW + 15 * DAY


@pytest.mark.parametrize("days, code", [(0, "invalid_days"), (31, "invalid_days"),
                                        (True, "invalid_days"), ("7", "invalid_days")])
def test_assign_may_shorten_but_not_lengthen(days, code):
    assert refused(SCENARIOS["accepted"], A.assign, R.staff, days=days).code == code


@pytest.mark.parametrize("days", [1, 30])
def test_assign_with_explicit_days(days):
    t = decide(SCENARIOS["accepted"], A.assign, R.staff, NOW, S, days=days)
    assert t.due_dt == NOW + days * DAY


def test_reply_deadline_boundary():
    snap = assigned()
    due = T0 + 30 * DAY
    assert deadlines(snap, due - SECOND, S) == Deadline("reply", due, 1, False)
    assert not is_overdue(snap, due - SECOND, S)
    assert is_overdue(snap, due, S)


def test_extension_adds_to_the_current_deadline():
    t = decide(assigned(), A.extend, R.handler, NOW, S, reason="需协调物业")
    assert (t.to_state, t.due_dt) == (P.assigned, T0 + 45 * DAY)
    t = decide(assigned(), A.extend, R.staff, NOW, S, reason="需协调物业", days=3)
    assert t.due_dt == T0 + 33 * DAY


def test_extension_needs_a_reason():
    assert refused(assigned(), A.extend, R.handler).code == "reason_required"


def test_extension_only_once():
    error = refused(assigned(is_extended=True), A.extend, R.handler, reason="再延")
    assert error.code == "already_extended"
    assert A.extend not in allowed_actions(assigned(is_extended=True), R.handler, NOW, S)


@pytest.mark.parametrize("days", [0, 16, -1])
def test_extension_is_capped(days):
    assert refused(assigned(), A.extend, R.handler, reason="r", days=days).code == "invalid_days"


def test_extension_before_the_deadline_only():
    due = T0 + 30 * DAY
    t = decide(assigned(), A.extend, R.handler, due - SECOND, S, reason="r")
    assert t.due_dt == due + 15 * DAY
    assert refused(assigned(), A.extend, R.handler, now=due, reason="r").code == "deadline_passed"


@pytest.mark.parametrize("offset, ok", [
    (4 * DAY, True),                  # day 5
    (5 * DAY - SECOND, True),         # the last second of day 5
    (5 * DAY, False),                 # the instant day 5 ends
    (5 * DAY + 12 * 3600 * SECOND, False),  # day 6
])
def test_return_within_five_days_of_assignment(offset, ok):
    snap = assigned()
    now = T0 + offset
    if ok:
        t = decide(snap, A.return_assignment, R.handler, now, S, reason="不属于本单位职责")
        assert t.to_state is P.accepted
    else:
        error = refused(snap, A.return_assignment, R.handler, now=now, reason="不属于本单位职责")
        assert error.code == "deadline_passed"


def test_return_needs_a_reason():
    assert refused(assigned(), A.return_assignment, R.handler).code == "reason_required"


def test_return_counts_from_the_latest_assignment():
    snap = assigned(assigned_dt=T0 + 20 * DAY, reply_due_dt=T0 + 35 * DAY, rehandle_count=1)
    t = decide(snap, A.return_assignment, R.handler, T0 + 24 * DAY, S, reason="r")
    assert t.to_state is P.accepted


# --- answer and rating ----------------------------------------------------------------------

def test_answer_needs_a_category():
    assert refused(assigned(), A.answer, R.handler).code == "category_required"
    assert refused(assigned(), A.answer, R.handler, category="E").code == "category_required"


@pytest.mark.parametrize("category", ["A", "B", "D"])
def test_answer_without_reason_except_c(category):
    t = decide(assigned(), A.answer, R.handler, NOW, S, category=category)
    assert t.to_state is P.answered
    assert ReplyCategory(category).label in t.note


def test_category_c_needs_the_reason():
    assert refused(assigned(), A.answer, R.handler, category="C").code == "reason_required"
    t = decide(assigned(), A.answer, R.handler, NOW, S, category="C", reason="资金未落实")
    assert t.to_state is P.answered


def test_late_answer_is_accepted_and_marked():
    due = T0 + 30 * DAY
    assert "逾期" not in decide(assigned(), A.answer, R.handler, due - SECOND, S, category="A").note
    assert "逾期" in decide(assigned(), A.answer, R.handler, due, S, category="A").note


def answered(rehandle_count):
    return Snapshot(P.answered, assigned_dt=T0, reply_due_dt=T0 + 30 * DAY,
                    rehandle_count=rehandle_count)


@pytest.mark.parametrize("rehandle_count", [0, 1])
@pytest.mark.parametrize("rating", [Rating.satisfied, Rating.basically_satisfied])
def test_satisfied_closes(rating, rehandle_count):
    t = decide(answered(rehandle_count), A.rate, R.author, NOW, S, rating=rating)
    assert (t.to_state, t.due_dt) == (P.closed, None)


def test_first_unsatisfied_sends_back_for_rehandling():
    t = decide(answered(0), A.rate, R.author, NOW, S, rating="unsatisfied")
    assert (t.to_state, t.due_dt) == (P.assigned, NOW + 15 * DAY)


def test_unsatisfied_after_rehandling_is_final():
    t = decide(answered(1), A.rate, R.author, NOW, S, rating=Rating.unsatisfied)
    assert (t.to_state, t.due_dt) == (P.closed, None)


def test_rating_is_required():
    assert refused(answered(0), A.rate, R.author).code == "rating_required"


@pytest.mark.parametrize("role", [R.resident, R.handler, R.staff])
def test_only_the_author_rates(role):
    assert refused(answered(0), A.rate, role, rating="satisfied").code == "not_allowed"


# --- deadlines and data ---------------------------------------------------------------------

@pytest.mark.parametrize("scenario", ["draft", "answered", "declined", "merged", "closed",
                                      "expired", "lapsed", "escalated", "withdrawn"])
def test_no_deadline_outside_the_running_periods(scenario):
    assert deadlines(SCENARIOS[scenario], NOW, S) is None
    assert not is_overdue(SCENARIOS[scenario], NOW, S)


def test_window_deadline_counts_down():
    d = deadlines(collecting(1), NOW, S)
    assert (d.kind, d.seconds_left, d.is_overdue) == ("window", 13 * 86400, False)
    assert d.label == "附议截止"


def test_seconds_left_is_positive_exactly_while_not_overdue():
    due = T0 + 30 * DAY
    d = deadlines(assigned(), due - timedelta(milliseconds=500), S)
    assert (d.seconds_left, d.is_overdue) == (1, False)


def test_aware_datetimes_are_refused():
    aware = NOW.replace(tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        decide(SCENARIOS["draft"], A.publish, R.author, aware, S)
    with pytest.raises(ValueError):
        Snapshot(P.collecting, published_dt=aware)


@pytest.mark.parametrize("state, missing", [
    (P.collecting, {}),
    (P.under_review, {}),
    (P.assigned, {"assigned_dt": T0}),
    (P.assigned, {"reply_due_dt": T0}),
])
def test_snapshot_refuses_missing_dates(state, missing):
    with pytest.raises(ValueError):
        Snapshot(state, **missing)


def test_snapshot_accepts_stored_strings():
    assert Snapshot("draft").state is P.draft


@pytest.mark.parametrize("field", ["cosign_threshold", "window_days", "return_days"])
def test_settings_must_be_positive(field):
    with pytest.raises(ValueError):
        Settings(**{field: 0})


@pytest.mark.parametrize("enum", [ProposalState, Action, Role, DeclineGround, ReplyCategory,
                                  Rating])
def test_every_member_has_a_chinese_label(enum):
    for member in enum:
        assert CJK.search(member.label), member


def test_labels_from_the_design():
    assert [c.label for c in ReplyCategory] == [
        "已解决或基本解决", "正在解决或已列入计划", "因条件限制暂时不能解决", "留作参考"]
    assert [r.label for r in Rating] == ["满意", "基本满意", "不满意"]
    assert len(DeclineGround) == 7


@pytest.mark.parametrize("state", list(ProposalState))
def test_only_a_collecting_proposal_is_offered_for_cosigning(state):
    assert can_be_cosigned(state) is (state is ProposalState.collecting)


@pytest.mark.parametrize("state", list(ProposalState))
def test_a_merge_target_must_still_have_a_reply_to_come(state):
    expected = state.value in {"collecting", "under_review", "accepted", "assigned"}
    assert can_absorb_merge(state) is expected


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("now", [NOW, NOW + 10 * DAY, NOW + 40 * DAY])
def test_standing_is_the_effective_state_and_the_running_deadline_at_once(scenario, now):
    snap = SCENARIOS[scenario]
    assert standing(snap, now, S) == (effective_state(snap, now, S), deadlines(snap, now, S))


def test_standing_of_a_lapsed_collection_is_expired_without_a_deadline():
    assert standing(SCENARIOS["lapsed"], NOW, S) == (P.expired, None)
