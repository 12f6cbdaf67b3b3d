"""The pure rules of 四议两公开: which body decides which stage, what each vote does, objections."""
from datetime import datetime, timedelta
from itertools import product

import pytest

from app.matters import workflow as w
from app.matters.workflow import MatterStage as S
from app.matters.workflow import ObjectionSnap, Outcome, Purpose, Refused

T0 = datetime(2026, 5, 1, 8, 0)
PRESETS = ["party_branch_committee", "two_committees", "party_members_assembly",
           "representatives_assembly", "residents_assembly", "deliberation_council",
           "supervisory_committee"]

# (stage, preset) → purpose; every pair not listed is refused (merge not allowed).
ALLOWED = {
    (S.proposal, "party_branch_committee"): Purpose.decide,
    (S.consultation, "two_committees"): Purpose.decide,
    (S.review, "party_members_assembly"): Purpose.decide,
    (S.resolution, "representatives_assembly"): Purpose.decide,
    (S.resolution, "residents_assembly"): Purpose.decide,
    (S.resolution_public, "party_members_assembly"): Purpose.objections,
    (S.implementation, "supervisory_committee"): Purpose.confirm,
}


def test_seven_stages_in_order_with_chinese_labels():
    assert [s.value for s in S] == ["proposal", "consultation", "review", "resolution",
                                    "resolution_public", "implementation", "result_public"]
    assert [s.number for s in S] == [1, 2, 3, 4, 5, 6, 7]
    assert S.proposal.label == "党支部会提议" and S.result_public.label == "实施结果公开"
    assert [s.is_published for s in S] == [False] * 4 + [True] * 3
    assert [w.next_stage(s) for s in S] == list(S)[1:] + [None]


@pytest.mark.parametrize("stage,preset", list(product(S, PRESETS)))
def test_which_body_decides_each_stage(stage, preset):
    expected = ALLOWED.get((stage, preset))
    if expected is None:
        with pytest.raises(Refused) as refused:
            w.purpose_for(stage, preset)
        assert refused.value.code in {"wrong_body", "merge_not_allowed", "finished"}
    else:
        assert w.purpose_for(stage, preset) is expected


@pytest.mark.parametrize("stage,preset", list(product(S, PRESETS)))
def test_merging_only_opens_the_two_committees_at_stage_one(stage, preset):
    with_merge = None
    try:
        with_merge = w.purpose_for(stage, preset, merge_allowed=True)
    except Refused:
        pass
    if (stage, preset) == (S.proposal, "two_committees"):
        assert with_merge is Purpose.merged
    else:
        assert with_merge == ALLOWED.get((stage, preset))


def test_wrong_body_message_names_the_right_body():
    with pytest.raises(Refused) as refused:
        w.purpose_for(S.review, "representatives_assembly")
    assert "党员大会" in refused.value.message and refused.value.code == "wrong_body"
    with pytest.raises(Refused) as refused:
        w.purpose_for(S.proposal, "two_committees")
    assert refused.value.code == "merge_not_allowed" and "一肩挑" in refused.value.message
    with pytest.raises(Refused) as refused:
        w.purpose_for(S.result_public, "supervisory_committee")
    assert refused.value.code == "finished"
    with pytest.raises(Refused):
        w.purpose_for("nonsense", "two_committees")


# -- what a vote does --------------------------------------------------------------------------

DECIDING = [S.proposal, S.consultation, S.review, S.resolution]


@pytest.mark.parametrize("stage", DECIDING)
def test_a_passed_vote_moves_to_the_next_stage(stage):
    move = w.on_vote(stage, Purpose.decide, passed=True, quorum_met=True)
    assert move.to_stage is w.next_stage(stage) and move.outcome is Outcome.advanced
    assert move.steps == (w.Step(stage, True, Outcome.advanced),)
    assert move.publish_resolution is (stage is S.resolution)
    assert not move.publish_result and move.changed


@pytest.mark.parametrize("stage", [S.consultation, S.review, S.resolution])
def test_a_failed_vote_at_stages_two_to_four_sends_the_matter_back(stage):
    move = w.on_vote(stage, Purpose.decide, passed=False, quorum_met=True)
    assert move.to_stage is S.proposal and move.sent_back and move.outcome is Outcome.sent_back
    assert move.steps == (w.Step(stage, False, Outcome.sent_back),)
    assert not move.publish_resolution


def test_a_failed_vote_at_stage_one_stays_at_stage_one():
    move = w.on_vote(S.proposal, Purpose.decide, passed=False, quorum_met=True)
    assert move.to_stage is S.proposal and not move.changed and move.outcome is Outcome.rejected


@pytest.mark.parametrize("stage,purpose", [(s, Purpose.decide) for s in DECIDING]
                         + [(S.proposal, Purpose.merged), (S.resolution_public, Purpose.objections),
                            (S.implementation, Purpose.confirm)])
@pytest.mark.parametrize("passed", [True, False])
def test_without_quorum_a_vote_decides_nothing(stage, purpose, passed):
    move = w.on_vote(stage, purpose, passed=passed, quorum_met=False)
    assert move.to_stage is stage and move.outcome is Outcome.invalid
    assert [s.passed for s in move.steps] == [False]
    assert not move.publish_resolution and not move.publish_result


def test_merged_vote_decides_stages_one_and_two_and_says_so():
    move = w.on_vote(S.proposal, Purpose.merged, passed=True, quorum_met=True)
    assert move.to_stage is S.review
    assert [(s.stage, s.passed, s.is_merged) for s in move.steps] == [
        (S.proposal, True, True), (S.consultation, True, True)]
    failed = w.on_vote(S.proposal, Purpose.merged, passed=False, quorum_met=True)
    assert failed.to_stage is S.proposal and failed.steps[0].is_merged and not failed.changed


def test_objection_review_lets_the_resolution_stand_or_sends_it_back():
    stands = w.on_vote(S.resolution_public, Purpose.objections, passed=True, quorum_met=True)
    assert stands.to_stage is S.resolution_public and stands.outcome is Outcome.overruled
    upheld = w.on_vote(S.resolution_public, Purpose.objections, passed=False, quorum_met=True)
    assert upheld.to_stage is S.proposal and upheld.sent_back


def test_supervisory_confirmation_publishes_the_result():
    move = w.on_vote(S.implementation, Purpose.confirm, passed=True, quorum_met=True)
    assert move.to_stage is S.result_public and move.publish_result and not move.publish_resolution
    refused = w.on_vote(S.implementation, Purpose.confirm, passed=False, quorum_met=True)
    assert refused.to_stage is S.implementation and refused.outcome is Outcome.not_confirmed


PURPOSE_STAGES = {Purpose.decide: set(DECIDING), Purpose.merged: {S.proposal},
                  Purpose.objections: {S.resolution_public}, Purpose.confirm: {S.implementation}}


@pytest.mark.parametrize("stage,purpose", list(product(S, Purpose)))
def test_a_vote_for_another_stage_is_refused(stage, purpose):
    if stage in PURPOSE_STAGES[purpose]:
        assert w.on_vote(stage, purpose, passed=True, quorum_met=True).from_stage is stage
    else:
        with pytest.raises(Refused) as refused:
            w.on_vote(stage, purpose, passed=True, quorum_met=True)
        assert refused.value.code == "wrong_stage"


def test_a_choice_vote_cannot_decide_a_matter():
    with pytest.raises(Refused) as refused:
        w.on_vote(S.review, Purpose.decide, passed=None, quorum_met=True)
    assert refused.value.code == "not_a_motion"


@pytest.mark.parametrize("outcomes", list(product([True, False], repeat=4)))
def test_no_sequence_of_votes_reaches_publication_without_passing_every_stage(outcomes):
    """Walk the stages with every pass/fail pattern: publication needs four passes in a row."""
    stage, passes_in_a_row = S.proposal, 0
    for passed in outcomes:
        move = w.on_vote(stage, Purpose.decide, passed=passed, quorum_met=True)
        passes_in_a_row = passes_in_a_row + 1 if passed else 0
        stage = move.to_stage
        if move.publish_resolution:
            assert passes_in_a_row == 4
    assert (stage is S.resolution_public) == all(outcomes)


# -- schedule, plan ------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", list(S))
def test_the_plan_is_locked_from_the_assembly_on(stage):
    if stage in (S.proposal, S.consultation):
        w.check_plan_editable(stage)
    else:
        with pytest.raises(Refused):
            w.check_plan_editable(stage)


def test_schedule_rules():
    w.check_schedule(S.review, Purpose.decide, plan_with_notice=True, meeting_announced=False)
    with pytest.raises(Refused) as refused:
        w.check_schedule(S.review, Purpose.decide, plan_with_notice=True, meeting_announced=True)
    assert refused.value.code == "notice_sent"
    w.check_schedule(S.consultation, Purpose.decide, plan_with_notice=False, meeting_announced=True)
    with pytest.raises(Refused) as refused:
        w.check_schedule(S.implementation, Purpose.confirm, has_final_report=False)
    assert refused.value.code == "no_final_report"
    w.check_schedule(S.implementation, Purpose.confirm, has_final_report=True)
    open_one = ObjectionSnap(T0, T0 + timedelta(days=1))
    with pytest.raises(Refused) as refused:
        w.check_schedule(S.resolution_public, Purpose.objections, objections=[])
    assert refused.value.code == "no_objections"
    with pytest.raises(Refused):
        w.check_schedule(S.resolution_public, Purpose.objections,
                         objections=[ObjectionSnap(T0, T0, accepted=True)])
    with pytest.raises(Refused):
        w.check_schedule(S.resolution_public, Purpose.objections,
                         objections=[ObjectionSnap(T0, T0, scheduled=True)])
    w.check_schedule(S.resolution_public, Purpose.objections, objections=[open_one])


# -- objections ---------------------------------------------------------------------------------

@pytest.mark.parametrize("configured,expected", [(None, 7), (0, 7), (3, 7), (7, 7), (8, 8), (30, 30)])
def test_the_notice_stays_up_at_least_seven_days(configured, expected):
    assert w.objection_days(configured) == expected


@pytest.mark.parametrize("days,ok", [(6, False), (7, True), (60, True), (61, False), (True, False),
                                     ("10", False), (None, False)])
def test_configuring_the_window_never_below_seven(days, ok):
    if ok:
        assert w.check_objection_days(days) == days
    else:
        with pytest.raises(Refused):
            w.check_objection_days(days)


@pytest.mark.parametrize("offset,ok", [
    (timedelta(seconds=-1), False),
    (timedelta(0), True),
    (timedelta(days=7) - timedelta(seconds=1), True),
    (timedelta(days=7), False),
])
def test_objections_only_inside_the_window(offset, ok):
    now = T0 + offset
    if ok:
        w.check_object(S.resolution_public, T0, 7, now)
    else:
        with pytest.raises(Refused):
            w.check_object(S.resolution_public, T0, 7, now)


@pytest.mark.parametrize("stage", [s for s in S if s is not S.resolution_public])
def test_no_objections_outside_stage_five(stage):
    with pytest.raises(Refused) as refused:
        w.check_object(stage, T0, 7, T0 + timedelta(hours=1))
    assert refused.value.code == "not_public"


@pytest.mark.parametrize("answered_after,now_after,overdue", [
    (None, timedelta(days=3), False),                       # exactly at the deadline: not yet
    (None, timedelta(days=3, seconds=1), True),
    (timedelta(days=2), timedelta(days=10), False),         # answered in time stays in time
    (timedelta(days=3), timedelta(days=10), False),
    (timedelta(days=3, minutes=1), timedelta(days=10), True),  # answered late is flagged
])
def test_answers_are_due_within_three_days(answered_after, now_after, overdue):
    answered = T0 + answered_after if answered_after is not None else None
    assert w.answer_due(T0) == T0 + timedelta(days=3)
    assert w.is_overdue(T0, answered, T0 + now_after) is overdue


def test_answer_and_accept_once():
    w.check_answer(None)
    with pytest.raises(Refused):
        w.check_answer(T0)
    with pytest.raises(Refused) as refused:
        w.check_accept(None, False)
    assert refused.value.code == "not_answered"
    w.check_accept(T0, False)
    with pytest.raises(Refused):
        w.check_accept(T0, True)


END = T0 + timedelta(days=7)
ANSWERED = ObjectionSnap(T0, T0 + timedelta(days=1))


@pytest.mark.parametrize("now,objections,code", [
    (END - timedelta(seconds=1), [], "window_open"),
    (END, [], None),
    (END, [ObjectionSnap(T0)], "unanswered"),
    (END, [ANSWERED], "objections_unresolved"),
    (END, [ObjectionSnap(T0, T0, scheduled=True)], "objections_pending"),
    (END, [ObjectionSnap(T0, T0, accepted=True)], None),
    (END, [ObjectionSnap(T0, T0, scheduled=True, reviewed=True)], None),
    (END, [ObjectionSnap(T0, T0, accepted=True), ANSWERED], "objections_unresolved"),
])
def test_implementation_waits_for_the_window_and_every_objection(now, objections, code):
    if code is None:
        w.check_start_implementation(S.resolution_public, T0, 7, now, objections)
    else:
        with pytest.raises(Refused) as refused:
            w.check_start_implementation(S.resolution_public, T0, 7, now, objections)
        assert refused.value.code == code


@pytest.mark.parametrize("stage", [s for s in S if s is not S.resolution_public])
def test_implementation_starts_only_from_stage_five(stage):
    with pytest.raises(Refused) as refused:
        w.check_start_implementation(stage, T0, 7, END + timedelta(days=30), [])
    assert refused.value.code == "wrong_stage"


def test_a_longer_window_is_respected():
    with pytest.raises(Refused):
        w.check_start_implementation(S.resolution_public, T0, 10, END, [])
    w.check_start_implementation(S.resolution_public, T0, 10, T0 + timedelta(days=10), [])


# -- reports -----------------------------------------------------------------------------------

@pytest.mark.parametrize("stage,percent,spent,code", [
    (S.implementation, 0, 0, None),
    (S.implementation, 100, 12_345_67, None),
    (S.implementation, 101, 0, "percent"),
    (S.implementation, -1, 0, "percent"),
    (S.implementation, 50.5, 0, "percent"),
    (S.implementation, True, 0, "percent"),
    (S.implementation, 50, -1, "spent"),
    (S.implementation, 50, 1.5, "spent"),
    (S.resolution_public, 50, 0, "wrong_stage"),
    (S.result_public, 100, 0, "wrong_stage"),
])
def test_reports_only_in_implementation_with_sane_numbers(stage, percent, spent, code):
    if code is None:
        w.check_report(stage, percent, spent)
    else:
        with pytest.raises(Refused) as refused:
            w.check_report(stage, percent, spent)
        assert refused.value.code == code


# -- the timeline ---------------------------------------------------------------------------------

def states(current, history=()):
    return [v for v in w.stage_states(current, list(history)).values()]


def test_timeline_states():
    assert states(S.proposal) == ["current"] + ["pending"] * 6
    assert states(S.review) == ["done", "done", "current"] + ["pending"] * 4
    assert states(S.result_public) == ["done"] * 7
    back = [w.Step(S.proposal, True, Outcome.advanced), w.Step(S.consultation, True, Outcome.advanced),
            w.Step(S.review, False, Outcome.sent_back)]
    assert states(S.proposal, back) == ["current", "pending", "failed"] + ["pending"] * 4
    # Once the matter passes that stage again, it is done.
    again = back + [w.Step(S.proposal, True, Outcome.advanced),
                    w.Step(S.consultation, True, Outcome.advanced),
                    w.Step(S.review, True, Outcome.advanced)]
    assert states(S.resolution, again) == ["done"] * 3 + ["current"] + ["pending"] * 3


# -- money ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,fen", [
    ("12000", 1_200_000), ("12000.5", 1_200_050), ("12,000.50 元", 1_200_050), ("0", 0),
    ("", None), (None, None), (12, 1200), ("0.01", 1),
])
def test_budget_in_exact_fen(text, fen):
    assert w.parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["-1", "1.001", "abc", "1e400", "NaN", True, "100000000000.01"])
def test_bad_budgets_are_refused(text):
    with pytest.raises(Refused):
        w.parse_yuan(text)


def test_yuan_are_shown_with_two_decimals():
    assert w.format_yuan(1_200_050) == "12,000.50 元"
    assert w.format_yuan(5) == "0.05 元"
    assert w.format_yuan(None) == ""
