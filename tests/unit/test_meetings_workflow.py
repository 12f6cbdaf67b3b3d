"""Pure meeting rules: states, notice period, quorum meter, agenda, speakers, hall token, convening."""
from datetime import datetime, timedelta
from fractions import Fraction

import pytest

from app.community.rules import PRESETS
from app.meetings import workflow
from app.meetings.workflow import (
    AttendanceMode, Entry, MeetingState, Refused, SpeakerState,
)

NOW = datetime(2026, 11, 23, 2, 0, 0)


# -- states -------------------------------------------------------------------------

@pytest.mark.parametrize("state, action, target", [
    ("draft", "announce", "announced"),
    ("announced", "start", "live"),
    ("live", "end", "ended"),
    ("ended", "sign_off", "minutes_signed"),
    ("draft", "cancel", "cancelled"),
    ("announced", "cancel", "cancelled"),
])
def test_allowed_transitions(state, action, target):
    assert workflow.transition(state, action) is MeetingState(target)


@pytest.mark.parametrize("state, action", [
    (s, a) for a, (sources, _, _) in workflow.TRANSITIONS.items()
    for s in MeetingState if s not in sources
])
def test_every_other_transition_is_refused(state, action):
    with pytest.raises(Refused) as info:
        workflow.transition(state, action)
    assert info.value.code == "wrong_state"
    assert info.value.message  # said in words


def test_unknown_action():
    with pytest.raises(Refused, match="未知"):
        workflow.transition("draft", "explode")


def test_state_labels_are_chinese():
    assert {s.label for s in MeetingState} == set(workflow.STATE_LABELS.values())


# -- notice period --------------------------------------------------------------------

@pytest.mark.parametrize("days", [0, 1, 3, 10])
def test_notice_exactly_at_the_limit_is_in_time(days):
    workflow.check_notice(NOW + timedelta(days=days, seconds=0 if days else 60), NOW, days)


@pytest.mark.parametrize("days", [1, 3, 10])
def test_notice_one_second_short_is_refused_in_words(days):
    with pytest.raises(Refused) as info:
        workflow.check_notice(NOW + timedelta(days=days) - timedelta(seconds=1), NOW, days, "居民会议")
    assert info.value.code == "notice_too_short"
    assert f"须提前 {days} 天通知" in info.value.message and "居民会议" in info.value.message


def test_notice_message_says_how_far_off():
    with pytest.raises(Refused) as info:
        workflow.check_notice(NOW + timedelta(days=2, hours=5), NOW, 10, "居民会议")
    assert "只有 2 天 5 小时" in info.value.message
    assert "还差 7 天 19 小时" in info.value.message


@pytest.mark.parametrize("start", [NOW, NOW - timedelta(minutes=1)])
def test_start_in_the_past_is_refused(start):
    with pytest.raises(Refused) as info:
        workflow.check_notice(start, NOW, 0)
    assert info.value.code == "start_in_past"


# -- attendance and quorum --------------------------------------------------------------

@pytest.mark.parametrize("existing, new, result", [
    (None, "online", "online"),
    (None, "hall", "hall"),
    ("online", "online", "online"),
    ("online", "hall", "hall"),     # came into the hall: counted there
    ("hall", "online", "hall"),     # in the hall with a phone: never both
    ("hall", "hall", "hall"),
])
def test_merge_attendance(existing, new, result):
    assert workflow.merge_attendance(existing, new) is AttendanceMode(result)


@pytest.mark.parametrize("preset, members, present, minimum, met", [
    ("representatives_assembly", 60, 40, 40, True),    # ≥ 2/3: exactly at it
    ("representatives_assembly", 60, 39, 40, False),
    ("two_committees", 10, 5, 6, False),               # > 1/2: half is not enough
    ("two_committees", 10, 6, 6, True),
    ("two_committees", 7, 4, 4, True),
    ("party_branch_committee", 0, 0, None, False),      # nobody to count
    ("deliberation_council", 5, 0, 3, False),           # nobody present
])
def test_quorum_meter(preset, members, present, minimum, met):
    meter = workflow.quorum_meter(PRESETS[preset].rule, members, present)
    assert (meter.minimum, meter.met) == (minimum, met)
    assert f"应到 {members} 人，实到 {present} 人" in meter.text
    assert meter.as_dict()["present"] == present


def test_quorum_meter_refuses_negative():
    with pytest.raises(Refused):
        workflow.quorum_meter(PRESETS["two_committees"].rule, 3, -1)


# -- agenda -------------------------------------------------------------------------

@pytest.mark.parametrize("current, count, index, result", [
    (0, 3, None, 1), (1, 3, None, 2), (2, 3, 0, 0), (0, 3, 2, 2), (1, 3, 1, 1),
])
def test_move_item(current, count, index, result):
    assert workflow.move_item(current, count, index) == result


@pytest.mark.parametrize("current, count, index, code", [
    (2, 3, None, "no_such_item"), (0, 3, 3, "no_such_item"), (0, 3, -1, "no_such_item"),
    (0, 0, None, "empty_agenda"), (0, 3, "1", "invalid"), (0, 3, True, "invalid"),
])
def test_move_item_refused(current, count, index, code):
    with pytest.raises(Refused) as info:
        workflow.move_item(current, count, index)
    assert info.value.code == code


# -- speakers -------------------------------------------------------------------------

W, S, D = SpeakerState.WAITING, SpeakerState.SPEAKING, SpeakerState.DONE


def test_raise_twice_is_refused_but_after_speaking_is_fine():
    workflow.check_raise([Entry(1, 7, D)], 7)
    with pytest.raises(Refused, match="已在发言队列"):
        workflow.check_raise([Entry(1, 7, W)], 7)
    with pytest.raises(Refused, match="正在发言"):
        workflow.check_raise([Entry(1, 7, S)], 7)


def test_lower_needs_a_waiting_hand():
    assert workflow.waiting_entry_of([Entry(1, 7, W)], 7).id == 1
    with pytest.raises(Refused):
        workflow.waiting_entry_of([Entry(1, 7, S)], 7)


def test_give_floor_to_the_first_waiting_and_finish_the_speaker():
    change = workflow.give_floor([Entry(1, 1, S), Entry(2, 2, W), Entry(3, 3, W)])
    assert change == workflow.FloorChange((1,), 2)


def test_give_floor_to_a_chosen_one():
    assert workflow.give_floor([Entry(2, 2, W), Entry(3, 3, W)], 3).speaking == 3


@pytest.mark.parametrize("entries, target, code", [
    ([], None, "queue_empty"),
    ([Entry(1, 1, S)], None, "queue_empty"),
    ([Entry(1, 1, S)], 1, "not_waiting"),
    ([Entry(1, 1, W)], 99, "not_waiting"),
])
def test_give_floor_refused(entries, target, code):
    with pytest.raises(Refused) as info:
        workflow.give_floor(entries, target)
    assert info.value.code == code


def test_end_floor():
    assert workflow.end_floor([Entry(1, 1, S), Entry(2, 2, W)]) == workflow.FloorChange((1,), None)
    with pytest.raises(Refused):
        workflow.end_floor([Entry(2, 2, W)])


@pytest.mark.parametrize("elapsed, left", [(0, 180), (60, 120), (180, 0), (200, -20)])
def test_remaining_seconds(elapsed, left):
    assert workflow.remaining_seconds(NOW, 180, NOW + timedelta(seconds=elapsed)) == left


def test_remaining_before_start_is_the_limit():
    assert workflow.remaining_seconds(None, 90, NOW) == 90


@pytest.mark.parametrize("seconds, ok", [(30, True), (3600, True), (29, False), (3601, False),
                                         ("60", False), (True, False)])
def test_check_limit(seconds, ok):
    if ok:
        assert workflow.check_limit(seconds) == seconds
    else:
        with pytest.raises(Refused):
            workflow.check_limit(seconds)


# -- hall token ---------------------------------------------------------------------------

def test_hall_token_current_and_previous_window_are_good():
    token = workflow.hall_token("s3cret", 5, NOW)
    workflow.check_hall_token("s3cret", 5, token, NOW)
    workflow.check_hall_token("s3cret", 5, token, NOW + timedelta(seconds=workflow.TOKEN_PERIOD))


@pytest.mark.parametrize("secret, meeting_id, later", [
    ("s3cret", 5, 2 * workflow.TOKEN_PERIOD),   # two windows later: stale
    ("other", 5, 0),                            # another meeting's secret
    ("s3cret", 6, 0),                           # another meeting
])
def test_hall_token_refused(secret, meeting_id, later):
    token = workflow.hall_token("s3cret", 5, NOW)
    with pytest.raises(Refused) as info:
        workflow.check_hall_token(secret, meeting_id, token, NOW + timedelta(seconds=later))
    assert info.value.code == "stale_token"


@pytest.mark.parametrize("token", ["", None, "x" * 16])
def test_hall_token_garbage(token):
    with pytest.raises(Refused):
        workflow.check_hall_token("s3cret", 5, token, NOW)


# -- requests to convene ----------------------------------------------------------------------

@pytest.mark.parametrize("preset, base, share", [
    ("representatives_assembly", None, Fraction(1, 5)),
    ("residents_assembly", "adults", Fraction(1, 5)),
    ("residents_assembly", "households", Fraction(1, 5)),
    ("residents_assembly", "groups", Fraction(1, 3)),
])
def test_convene_rule(preset, base, share):
    assert workflow.convene_rule(preset, base).share == share


@pytest.mark.parametrize("preset", ["two_committees", "party_members_assembly", "supervisory_committee"])
def test_no_convene_rule_elsewhere(preset):
    assert workflow.convene_rule(preset) is None


@pytest.mark.parametrize("base, supporters, needed, reached", [
    (60, 12, 12, True),    # 1/5 of 60 = 12: "以上" includes it
    (60, 11, 12, False),
    (61, 12, 13, False),   # 12.2 rounds up
    (61, 13, 13, True),
    (0, 0, None, False),
])
def test_convene_status_fifth(base, supporters, needed, reached):
    status = workflow.convene_status(workflow.convene_rule("representatives_assembly"), base, supporters)
    assert (status.needed, status.reached) == (needed, reached)
    assert status.text


def test_convene_status_third_of_groups():
    rule = workflow.convene_rule("residents_assembly", "groups")
    assert workflow.convene_status(rule, 9, 3).reached
    assert not workflow.convene_status(rule, 10, 3).reached


# -- time is law: the start window, moving a meeting, late items --------------------------

START = datetime(2026, 12, 17, 6, 0, 0)   # 14:00 in Beijing


@pytest.mark.parametrize("margin, now, allowed", [
    (30, START - timedelta(minutes=30), True),                         # exactly start - margin
    (30, START - timedelta(minutes=30, seconds=1), False),             # a second earlier
    (30, START - timedelta(days=10), False),                           # the day of the notice
    (30, START + timedelta(hours=2), True),                            # late is never too early
    (0, START, True),
    (0, START - timedelta(seconds=1), False),
    (120, START - timedelta(hours=2), True),
])
def test_start_window(margin, now, allowed):
    if allowed:
        workflow.check_start_window(START, now, margin)
    else:
        with pytest.raises(Refused) as refused:
            workflow.check_start_window(START, now, margin)
        assert refused.value.code == "too_early"


def test_too_early_says_when_in_beijing_time():
    with pytest.raises(Refused) as refused:
        workflow.check_start_window(START, START - timedelta(days=10), 30)
    assert refused.value.message == "会议定于 12月17日 14:00 召开，最早可于 13:30 开始。"
    with pytest.raises(Refused) as refused:   # a margin that reaches into the day before names it
        workflow.check_start_window(datetime(2026, 12, 17, 0, 30), START - timedelta(days=10), 60)
    assert refused.value.message == "会议定于 12月17日 08:30 召开，最早可于 07:30 开始。"
    with pytest.raises(Refused) as refused:
        workflow.check_start_window(datetime(2026, 12, 16, 16, 30), START - timedelta(days=10), 60)
    assert refused.value.message == "会议定于 12月17日 00:30 召开，最早可于 12月16日 23:30 开始。"


def test_local_when_names_the_year_only_when_it_differs():
    assert workflow.local_when(datetime(2027, 1, 3, 1, 0), now=datetime(2026, 12, 30)) == "2027年1月3日 09:00"
    assert workflow.local_when(datetime(2026, 12, 31, 17, 0), now=datetime(2026, 12, 30)) == "2027年1月1日 01:00"
    assert workflow.local_when(START, now=START) == "12月17日 14:00"


NOTICE = 10   # 居民会议


OLD = NOW + timedelta(days=20)


@pytest.mark.parametrize("new_start, allowed", [
    (OLD + timedelta(days=3), True),                                    # postponed
    (OLD, True),                                                        # unchanged
    (NOW + timedelta(days=NOTICE), True),                               # earlier, exactly the notice period
    (NOW + timedelta(days=NOTICE) - timedelta(seconds=1), False),       # a second short of it
    (NOW + timedelta(days=2), False),
])
def test_moving_an_announced_meeting(new_start, allowed):
    if allowed:
        workflow.check_move(OLD, new_start, NOW, NOTICE, "居民会议")
    else:
        with pytest.raises(Refused) as refused:
            workflow.check_move(OLD, new_start, NOW, NOTICE, "居民会议")
        assert refused.value.code == "notice_too_short"
        assert "须不早于 12月3日 10:00" in refused.value.message   # NOW + 10 days, Beijing time


def test_postponing_is_allowed_even_inside_the_notice_period_but_never_into_the_past():
    old = NOW + timedelta(hours=2)
    workflow.check_move(old, old + timedelta(hours=1), NOW, NOTICE)
    with pytest.raises(Refused) as refused:
        workflow.check_move(NOW - timedelta(hours=3), NOW - timedelta(hours=1), NOW, NOTICE)
    assert refused.value.code == "start_in_past"


@pytest.mark.parametrize("start, allowed", [
    (NOW + timedelta(days=NOTICE), True),
    (NOW + timedelta(days=NOTICE, hours=5), True),
    (NOW + timedelta(days=NOTICE) - timedelta(seconds=1), False),
    (NOW + timedelta(hours=1), False),
])
def test_a_late_item_for_a_vote_needs_the_notice_period(start, allowed):
    if allowed:
        workflow.check_late_item(start, NOW, NOTICE, "居民会议")
    else:
        with pytest.raises(Refused) as refused:
            workflow.check_late_item(start, NOW, NOTICE, "居民会议")
        assert refused.value.code == "item_too_late"
        assert "不早于 12月3日 10:00" in refused.value.message


@pytest.mark.parametrize("noticed, for_vote, votable", [
    (True, True, True),
    (False, True, False),     # added after the notice
    (True, False, False),     # in the notice, for discussion only
    (False, False, False),
])
def test_only_items_in_the_notice_for_a_vote_can_be_voted_on(noticed, for_vote, votable):
    if votable:
        workflow.check_votable(noticed, for_vote)
    else:
        with pytest.raises(Refused) as refused:
            workflow.check_votable(noticed, for_vote)
        assert refused.value.code == "item_not_in_notice"
