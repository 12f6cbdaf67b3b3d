"""One vote's tally: who may cast, hall and online in one count, every preset at its boundaries."""
import json
from fractions import Fraction

import pytest

from app.community.rules import PRESETS, TWO_THIRDS, Base, ResidentsBase, RuleError
from app.core.refusal import Refused
from app.votes.choices import HallTotals, OptionSet
from app.votes.rules import (
    Snapshot, VoteKind, can_open, check_cast, check_hall_entry, check_hall_totals, prepare_cast,
    progress, tally,
)

MOTION = OptionSet.motion()
ABC = OptionSet.choose(["甲", "乙", "丙"], up_to=2)


def rule(key, **options):
    preset = PRESETS[key].rule
    return preset.with_options(**options) if options else preset


HOUSEHOLD_RULE = rule("residents_assembly", residents_base=ResidentsBase.HOUSEHOLDS)


def snapshot(members, hall=0, online=0, kind=VoteKind.SECRET, options=MOTION):
    """Members 1..members; the first `hall` present in the hall, the next `online` online."""
    return Snapshot(kind, range(1, members + 1), range(1, hall + 1),
                    range(hall + 1, hall + online + 1), options)


def motion_ballots(yes, no, abstain):
    return ["yes"] * yes + ["no"] * no + ["abstain"] * abstain


def refused(code, call, *args, **kwargs):
    with pytest.raises(Refused) as info:
        call(*args, **kwargs)
    assert info.value.code == code
    assert info.value.message  # every refusal says why, in words
    return info.value


# --- options -------------------------------------------------------------------------------------

@pytest.mark.parametrize("choice, normalized", [
    ("yes", "yes"), ("no", "no"), ("abstain", "abstain"),
])
def test_a_motion_takes_yes_no_or_abstain(choice, normalized):
    assert MOTION.normalize(choice) == normalized
    assert MOTION.canonical(choice) == normalized


@pytest.mark.parametrize("choice", ["YES", "赞成", "", None, 1, ["yes"], True])
def test_a_motion_refuses_anything_else(choice):
    refused("bad_choice", MOTION.normalize, choice)


@pytest.mark.parametrize("choice, canonical, blank", [
    ([], "", True),              # 0 options: a blank ballot
    ((), "", True),
    ([1], "1", False),
    (2, "2", False),
    ([2, 0], "0,2", False),      # exactly k: the order a voter ticked them in does not matter
    ("0,2", "0,2", False),       # the stored form reads back
    ("", "", True),
])
def test_choose_up_to_k_accepts_zero_to_k(choice, canonical, blank):
    assert ABC.canonical(choice) == canonical
    assert ABC.is_blank(choice) is blank
    assert ABC.normalize(ABC.canonical(choice)) == ABC.normalize(choice)


def test_one_more_than_k_is_refused_with_the_limit():
    error = refused("too_many_choices", ABC.normalize, [0, 1, 2])
    assert "最多只能选 2 项" in error.message
    assert error.params == {"up_to": 2, "chosen": 3}


@pytest.mark.parametrize("choice", [[3], [-1], [0, 0], [True], ["0"], "0,,1", "a", "01", {0}, 1.0])
def test_choose_refuses_unknown_repeated_or_malformed_options(choice):
    refused("bad_choice", ABC.normalize, choice)


@pytest.mark.parametrize("labels, up_to", [
    (["甲", "乙"], 0), (["甲", "乙"], 3), (["甲", "甲"], 1), (["甲", " "], 1), (["甲"], True),
])
def test_an_impossible_option_set_is_refused(labels, up_to):
    with pytest.raises(RuleError):
        OptionSet.choose(labels, up_to)


def test_option_sets_round_trip():
    for options in (MOTION, ABC, OptionSet.choose(["唯一候选人"])):
        assert OptionSet.from_dict(json.loads(json.dumps(options.to_dict()))) == options


# --- snapshot ------------------------------------------------------------------------------------

def test_a_member_is_in_the_hall_or_online_never_both():
    with pytest.raises(RuleError):
        Snapshot(VoteKind.NAMED, {1, 2}, hall={1}, online={1})


def test_only_eligible_members_can_be_present():
    with pytest.raises(RuleError):
        Snapshot(VoteKind.NAMED, {1, 2}, hall={3}, online=set())


def test_the_household_base_needs_every_voters_household():
    with pytest.raises(RuleError):
        Snapshot(VoteKind.NAMED, {1, 2}, set(), {1}, households={1: "h1"})


def test_a_snapshot_round_trips_through_json_with_integer_ids():
    snap = Snapshot(VoteKind.SECRET, {1, 2, 3}, {1}, {2}, ABC, households={1: 10, 2: 10, 3: 11})
    assert Snapshot.from_dict(json.loads(json.dumps(snap.to_dict()))) == snap


def test_a_snapshot_must_match_the_household_base_of_the_rule():
    plain = snapshot(4, online=3)
    with pytest.raises(RuleError):
        can_open(HOUSEHOLD_RULE, plain)
    with_households = Snapshot(VoteKind.SECRET, {1, 2}, set(), {1, 2}, households={1: 1, 2: 2})
    with pytest.raises(RuleError):
        tally(rule("two_committees"), with_households, [])


# --- opening -------------------------------------------------------------------------------------

# (preset and options, members, present) -> may open; exactly at the quorum and one below
OPEN_CASES = [
    ("party_branch_committee", {}, 5, 3, True), ("party_branch_committee", {}, 5, 2, False),
    ("two_committees", {}, 10, 6, True), ("two_committees", {}, 10, 5, False),
    ("party_members_assembly", {}, 40, 21, True), ("party_members_assembly", {}, 40, 20, False),
    ("party_members_assembly", {"quorum": TWO_THIRDS}, 30, 20, True),
    ("party_members_assembly", {"quorum": TWO_THIRDS}, 30, 19, False),
    ("representatives_assembly", {}, 60, 40, True), ("representatives_assembly", {}, 60, 39, False),
    ("residents_assembly", {}, 200, 101, True), ("residents_assembly", {}, 200, 100, False),
    ("deliberation_council", {}, 11, 6, True), ("deliberation_council", {}, 11, 5, False),
    ("supervisory_committee", {}, 3, 2, True), ("supervisory_committee", {}, 3, 1, False),
    ("two_committees", {}, 9, 0, False),   # nobody present
    ("two_committees", {}, 0, 0, False),   # nobody eligible
]


@pytest.mark.parametrize("key, options, members, present, ok", OPEN_CASES)
def test_a_vote_opens_only_with_the_quorum(key, options, members, present, ok):
    hall = present // 2  # hall and online count alike
    opened, text = can_open(rule(key, **options), snapshot(members, hall, present - hall))
    assert opened is ok
    if members:
        assert f"应到 {members} 人，实到 {present} 人" in text
    assert text.endswith("不能开始表决") is not ok


def test_the_refusal_says_the_numbers():
    assert can_open(rule("representatives_assembly"), snapshot(60, 20, 19)) == (
        False, "应到 60 人，实到 39 人（≥ 2/3 即 40 人，不符合法定人数），不能开始表决")


# --- casting online ------------------------------------------------------------------------------

def test_a_present_online_member_casts_and_gets_the_canonical_choice():
    snap = snapshot(5, hall=2, online=2, kind=VoteKind.NAMED, options=ABC)
    assert check_cast(snap, 3, [1, 0]) == "0,1"


@pytest.mark.parametrize("voter, voted, code", [
    (9, set(), "not_eligible"),
    (1, set(), "in_hall"),        # a hall member voting online is refused
    (2, set(), "in_hall"),
    (5, set(), "not_present"),    # eligible but not checked in when the vote opened
    (3, {3}, "already_cast"),
])
def test_online_casts_that_are_refused(voter, voted, code):
    snap = snapshot(5, hall=2, online=2)  # 1, 2 in the hall; 3, 4 online; 5 absent
    refused(code, check_cast, snap, voter, "yes", voted)


def test_another_voters_cast_does_not_block_mine():
    assert check_cast(snapshot(5, hall=2, online=2), 4, "no", voted={3}) == "no"


def test_a_bad_choice_is_refused_after_the_voter_checks():
    refused("bad_choice", check_cast, snapshot(3, online=3), 1, "maybe")
    refused("too_many_choices", check_cast, snapshot(3, online=3, options=ABC), 1, [0, 1, 2])


# --- hall entries --------------------------------------------------------------------------------

def test_named_hall_entry_per_person_for_hall_members():
    snap = snapshot(5, hall=2, online=2, kind=VoteKind.NAMED)
    assert check_hall_entry(snap, 1, "yes") == "yes"
    assert check_hall_entry(snap, 2, "abstain", voted={1}) == "abstain"


@pytest.mark.parametrize("voter, voted, code", [
    (3, set(), "online_member"),   # online members vote on their own device, never both
    (5, set(), "not_in_hall"),
    (9, set(), "not_eligible"),
    (1, {1}, "already_cast"),      # each hall member once
])
def test_named_hall_entries_that_are_refused(voter, voted, code):
    snap = snapshot(5, hall=2, online=2, kind=VoteKind.NAMED)
    error = refused(code, check_hall_entry, snap, voter, "yes", voted, names={voter: "王芳"})
    assert "王芳" in error.message  # the secretary sees whose entry failed


def test_a_secret_vote_takes_no_per_person_hall_entry_and_a_named_vote_no_totals():
    refused("not_named", check_hall_entry, snapshot(3, hall=3), 1, "yes")
    refused("not_secret", check_hall_totals, snapshot(3, hall=3, kind=VoteKind.NAMED), {"yes": 1})


@pytest.mark.parametrize("totals, ok", [
    ({"yes": 12, "no": 5, "abstain": 3}, True),                 # exactly the hall's 20
    ({"yes": 12, "no": 5, "abstain": 2, "invalid": 1}, True),   # a spoiled paper is a paper
    ({"yes": 12, "no": 5, "abstain": 4}, False),                # 21 papers from 20 people
    ({"yes": 20, "invalid": 1}, False),
    ({"yes": 0, "no": 0, "abstain": 0}, True),
])
def test_hall_totals_never_exceed_the_hall_present(totals, ok):
    snap = snapshot(40, hall=20, online=15)
    if ok:
        assert check_hall_totals(snap, totals).ballots == sum(totals.values())
    else:
        error = refused("hall_totals_exceed", check_hall_totals, snap, totals)
        assert "会场实到 20 人" in error.message and error.params["hall"] == 20


def test_reentered_hall_totals_replace_rather_than_add():
    snap = snapshot(40, hall=20, online=0)
    check_hall_totals(snap, {"yes": 20})
    second = check_hall_totals(snap, {"yes": 15, "no": 5})  # the full count again, not 20 more
    result = tally(rule("two_committees"), snap, [], second)
    assert (result.count("yes"), result.count("no"), result.cast) == (15, 5, 20)


@pytest.mark.parametrize("totals", [
    {"yes": -1}, {"yes": 1.0}, {"yes": True}, {"maybe": 1}, {"yes": 2, "ballots": 3}, [1, 2], None,
])
def test_malformed_motion_totals_are_refused(totals):
    refused("bad_totals", check_hall_totals, snapshot(10, hall=10), totals)


@pytest.mark.parametrize("totals, ok", [
    ({"counts": [5, 4, 3], "ballots": 8, "blank": 1}, True),     # 7 marked papers, 12 marks
    ({"counts": [7, 7, 0], "ballots": 7}, True),                 # every paper marks k = 2
    ({"counts": [7, 7, 1], "ballots": 7}, False),                # 15 marks > 2 × 7
    ({"counts": [3, 0, 0], "ballots": 5}, False),                # 5 marked papers, 3 marks
    ({"counts": [6, 0, 0], "ballots": 5}, False),                # more marks than papers
    ({"counts": [0, 0, 0], "ballots": 2, "blank": 2}, True),
    ({"counts": [0, 0, 0], "ballots": 2, "blank": 2, "invalid": 1}, False),
    ({"counts": [1, 1], "ballots": 1}, False),                   # one count per option
    ({"counts": [1, 0, 0]}, False),                              # how many papers?
])
def test_choose_totals_must_add_up(totals, ok):
    snap = snapshot(10, hall=10, options=ABC)
    if ok:
        assert check_hall_totals(snap, totals) == HallTotals.parse(ABC, totals)
    else:
        refused("bad_totals", check_hall_totals, snap, totals)


def test_hall_totals_round_trip():
    for options, data in ((MOTION, {"yes": 3, "no": 2, "abstain": 1, "invalid": 1}),
                          (ABC, {"counts": [3, 2, 0], "ballots": 5, "blank": 1, "invalid": 0})):
        parsed = HallTotals.parse(options, data)
        assert parsed.to_dict(options) == data
        assert HallTotals.parse(options, parsed) == parsed


# --- household base ------------------------------------------------------------------------------

# Households: 10 = adults 1, 2, 3; 20 = 4; 30 = 5; 40 = 6, 7.
HOUSEHOLDS = {1: 10, 2: 10, 3: 10, 4: 20, 5: 30, 6: 40, 7: 40}
NAMES = {1: "张伟", 2: "李娜", 3: "张强"}


def household_snapshot(hall=(), online=(), kind=VoteKind.NAMED, options=MOTION):
    return Snapshot(kind, HOUSEHOLDS, hall, online, options, households=HOUSEHOLDS)


# --- prepare_cast: the one judgement behind both cast paths -------------------------------------

KEY = b"k" * 32
NONCE = "nonce-0123456789abcdef"


def test_prepare_cast_gives_the_choice_and_the_receipt_the_nonce_names():
    snap = snapshot(5, hall=2, online=2, kind=VoteKind.NAMED, options=ABC)
    prepared = prepare_cast(snap, 7, 3, [1, 0], NONCE, KEY)
    assert (prepared.choice, prepared.household, prepared.named) == ("0,1", None, True)
    assert prepare_cast(snap, 7, 4, [2], NONCE, KEY).receipt == prepared.receipt   # a retry's
    assert prepare_cast(snap, 8, 3, [1, 0], NONCE, KEY).receipt != prepared.receipt
    assert prepare_cast(snapshot(3, online=3), 7, 1, "yes", NONCE, KEY).named is False


def test_prepare_cast_answers_the_voter_then_the_nonce_then_the_choice():
    snap = snapshot(5, hall=2, online=2)   # 1, 2 in the hall; 3, 4 online; 5 absent
    refused("in_hall", prepare_cast, snap, 7, 1, "maybe", "short", KEY)
    refused("not_present", prepare_cast, snap, 7, 5, "maybe", "short", KEY)
    refused("bad_nonce", prepare_cast, snap, 7, 3, "maybe", "short", KEY)
    refused("bad_choice", prepare_cast, snap, 7, 3, "maybe", NONCE, KEY)


def test_prepare_cast_answers_a_bad_choice_before_the_household():
    snap = household_snapshot(online={1, 2, 4, 5})
    refused("bad_choice", prepare_cast, snap, 7, 2, "maybe", NONCE, KEY, voted={1})
    refused("household_already_cast", prepare_cast, snap, 7, 2, "no", NONCE, KEY, voted={1})
    assert prepare_cast(snap, 7, 2, "no", NONCE, KEY).household == 10


@pytest.mark.parametrize("present, households_present, ok", [
    ({1, 2, 3}, 1, False),          # three adults of one household are one household
    ({1, 2, 4}, 2, False),          # 2 of 4 households is exactly half: not 过半数
    ({1, 2, 4, 5}, 3, True),
    ({1, 4, 6, 7}, 3, True),
    (set(), 0, False),
])
def test_the_quorum_counts_households(present, households_present, ok):
    opened, text = can_open(HOUSEHOLD_RULE, household_snapshot(online=present))
    assert opened is ok
    assert f"应到 4 户，实到 {households_present} 户" in text


def test_a_household_casts_once_and_the_second_adult_sees_who_did():
    snap = household_snapshot(online={1, 2, 4, 5})
    assert check_cast(snap, 1, "yes") == "yes"
    error = refused("household_already_cast", check_cast, snap, 2, "no", voted={1}, names=NAMES)
    assert "张伟" in error.message
    assert error.params == {"household": 10, "cast_by": 1, "cast_by_name": "张伟"}
    # another household is not affected
    assert check_cast(snap, 4, "no", voted={1}) == "no"


def test_whoever_casts_first_wins_across_hall_and_online():
    snap = household_snapshot(hall={2}, online={1, 4, 5})
    assert check_hall_entry(snap, 2, "yes", names=NAMES) == "yes"
    error = refused("household_already_cast", check_cast, snap, 1, "no", voted={2}, names=NAMES)
    assert error.params["cast_by"] == 2 and "李娜" in error.message
    refused("household_already_cast", check_hall_entry, household_snapshot(hall={2}, online={1}),
            2, "yes", voted={1})


def test_in_a_secret_vote_a_household_in_the_hall_votes_on_paper_only():
    snap = household_snapshot(hall={1, 2}, online={3, 4, 5}, kind=VoteKind.SECRET)
    error = refused("household_in_hall", check_cast, snap, 3, "yes")
    assert error.params == {"household": 10}
    assert check_cast(snap, 4, "yes") == "yes"
    # two adults of one household in the hall hold one paper ballot
    assert check_hall_totals(snap, {"yes": 1}).ballots == 1
    refused("hall_totals_exceed", check_hall_totals, snap, {"yes": 1, "no": 1})
    refused("too_many_ballots", tally, HOUSEHOLD_RULE, snap, ["yes", "yes", "no"])


def test_the_household_tally_counts_households_in_words():
    snap = household_snapshot(hall={6}, online={1, 2, 4, 5})
    result = tally(HOUSEHOLD_RULE, snap, {1: "yes", 4: "yes", 5: "no"}, {6: "abstain"})
    assert (result.members, result.present, result.cast, result.passed) == (4, 4, 4, False)
    assert result.unit == "户"
    assert result.text == (
        "应到 4 户，实到 4 户（> 1/2 即 3 户，符合法定人数）；"
        "赞成 2 票 ≤ 实到 4 户的半数 2，未通过；反对 1 票，弃权 1 票")


def test_the_tally_refuses_two_ballots_of_one_household():
    snap = household_snapshot(online={1, 2, 4, 5})
    refused("household_already_cast", tally, HOUSEHOLD_RULE, snap, {1: "yes", 2: "yes"})


# --- tally of a motion ---------------------------------------------------------------------------

# (preset, options, members, present, yes, no, abstain) -> (quorum met, passed)
TALLY_CASES = [
    # 党支部委员会: yes > 1/2 members
    ("party_branch_committee", {}, 5, 3, 3, 0, 0, True, True),
    ("party_branch_committee", {}, 5, 5, 2, 2, 1, True, False),    # tie
    ("party_branch_committee", {}, 5, 2, 2, 0, 0, False, False),
    # 两委联席会议: yes > 1/2 present
    ("two_committees", {}, 9, 5, 3, 2, 0, True, True),
    ("two_committees", {}, 9, 5, 2, 2, 1, True, False),            # 2 of 5 present
    ("two_committees", {}, 10, 6, 3, 3, 0, True, False),           # tie: exactly half is not enough
    ("two_committees", {}, 10, 5, 5, 0, 0, False, False),          # exactly half present: no quorum
    ("two_committees", {}, 9, 9, 0, 0, 0, True, False),            # present, nobody voted
    # 党员大会: yes > 1/2 members; absences count against
    ("party_members_assembly", {}, 40, 21, 21, 0, 0, True, True),
    ("party_members_assembly", {}, 40, 21, 20, 1, 0, True, False),
    ("party_members_assembly", {}, 40, 40, 20, 20, 0, True, False),
    ("party_members_assembly", {}, 40, 20, 20, 0, 0, False, False),
    # 党员大会 with the local 4+2 quorum ≥ 2/3
    ("party_members_assembly", {"quorum": TWO_THIRDS}, 30, 20, 16, 4, 0, True, True),
    ("party_members_assembly", {"quorum": TWO_THIRDS}, 30, 19, 19, 0, 0, False, False),
    # 居民代表会议: quorum ≥ 2/3, yes > 1/2 present
    ("representatives_assembly", {}, 60, 40, 21, 19, 0, True, True),     # exactly at quorum
    ("representatives_assembly", {}, 60, 39, 39, 0, 0, False, False),    # one below
    ("representatives_assembly", {}, 60, 45, 23, 22, 0, True, True),     # 23 > 22.5
    ("representatives_assembly", {}, 60, 45, 22, 22, 1, True, False),
    ("representatives_assembly", {}, 60, 44, 22, 22, 0, True, False),    # tie
    ("representatives_assembly", {}, 30, 30, 0, 0, 30, True, False),     # all abstain
    # 居民代表会议 with the stricter yes > 1/2 members
    ("representatives_assembly", {"majority_base": Base.MEMBERS}, 60, 45, 31, 14, 0, True, True),
    ("representatives_assembly", {"majority_base": Base.MEMBERS}, 60, 45, 30, 15, 0, True, False),
    # 居民会议 on all adults
    ("residents_assembly", {}, 200, 101, 51, 50, 0, True, True),
    ("residents_assembly", {}, 200, 101, 50, 50, 1, True, False),
    ("residents_assembly", {}, 200, 100, 100, 0, 0, False, False),
    # 社区协商议事会, 居务监督委员会: yes > 1/2 members
    ("deliberation_council", {}, 11, 6, 6, 0, 0, True, True),
    ("deliberation_council", {}, 11, 11, 5, 5, 1, True, False),
    ("deliberation_council", {}, 11, 5, 5, 0, 0, False, False),
    ("supervisory_committee", {}, 3, 2, 2, 0, 0, True, True),
    ("supervisory_committee", {}, 3, 3, 1, 1, 1, True, False),
    ("supervisory_committee", {}, 3, 1, 1, 0, 0, False, False),
    # nobody present
    ("two_committees", {}, 9, 0, 0, 0, 0, False, False),
]


@pytest.mark.parametrize("key, options, members, present, yes, no, abstain, quorum, passed",
                         TALLY_CASES)
@pytest.mark.parametrize("kind", [VoteKind.SECRET, VoteKind.NAMED])
def test_every_preset_decides_exactly(key, options, members, present, yes, no, abstain, quorum,
                                      passed, kind):
    snap = snapshot(members, online=present, kind=kind)
    ballots = motion_ballots(yes, no, abstain)
    if kind is VoteKind.NAMED:
        ballots = dict(zip(sorted(snap.online), ballots))
    result = tally(rule(key, **options), snap, ballots)
    assert (result.quorum_met, result.passed) == (quorum, passed)
    assert (result.count("yes"), result.count("no"), result.count("abstain")) == (yes, no, abstain)
    assert (result.members, result.present, result.cast) == (members, present, yes + no + abstain)
    assert result.blank == abstain
    assert ("，通过" in result.text) is passed


def test_the_result_is_explained_in_words_with_against_and_abstain():
    snap = snapshot(60, hall=20, online=25)
    result = tally(rule("representatives_assembly"), snap, motion_ballots(21, 3, 1),
                   {"yes": 10, "no": 7, "abstain": 3})
    assert result.text == ("应到 60 人，实到 45 人（≥ 2/3 即 40 人，符合法定人数）；"
                           "赞成 31 票 > 实到 45 人的半数 22.5，通过；反对 10 票，弃权 4 票")
    assert (result.online_cast, result.hall_cast, result.not_cast) == (25, 20, 0)


def test_the_words_name_spoiled_papers_and_those_who_did_not_vote():
    snap = snapshot(10, hall=4, online=6)
    result = tally(rule("two_committees"), snap, motion_ballots(4, 0, 0),
                   {"yes": 2, "no": 1, "invalid": 1})
    assert result.text.endswith("赞成 6 票 > 实到 10 人的半数 5，通过；反对 1 票，弃权 0 票，废票 1 张，未投票 2 人")
    assert (result.cast, result.invalid, result.not_cast) == (8, 1, 2)


def test_without_quorum_the_words_say_the_vote_is_void_and_still_give_the_counts():
    result = tally(rule("two_committees"), snapshot(10, online=5), motion_ballots(5, 0, 0))
    assert "未达到法定人数，表决无效；赞成 5 票，反对 0 票，弃权 0 票" in result.text


def test_hall_and_online_votes_make_one_named_tally():
    snap = snapshot(6, hall=3, online=3, kind=VoteKind.NAMED)
    result = tally(rule("two_committees"), snap, {4: "yes", 5: "no"}, {1: "yes", 2: "yes", 3: "no"})
    assert (result.count("yes"), result.count("no"), result.cast, result.passed) == (3, 2, 5, False)
    assert (result.online_cast, result.hall_cast) == (2, 3)


@pytest.mark.parametrize("online, hall, code", [
    ({1: "yes"}, {}, "in_hall"),          # a hall member's ballot arriving online
    ({}, {4: "yes"}, "online_member"),    # an online member entered by the secretary
    ({4: "yes", 9: "no"}, {}, "not_eligible"),
])
def test_the_tally_refuses_ballots_the_checks_would_have_refused(online, hall, code):
    snap = snapshot(6, hall=3, online=3, kind=VoteKind.NAMED)
    refused(code, tally, rule("two_committees"), snap, online, hall)


def test_secret_ballots_carry_no_voter_and_never_outnumber_the_online_present():
    snap = snapshot(6, hall=3, online=3)
    with pytest.raises(RuleError):
        tally(rule("two_committees"), snap, {4: "yes"})
    refused("too_many_ballots", tally, rule("two_committees"), snap, ["yes"] * 4)


def test_the_result_is_json_and_exact():
    snap = snapshot(60, hall=20, online=25)
    result = tally(rule("representatives_assembly"), snap, motion_ballots(21, 3, 1),
                   {"yes": 10, "no": 7, "abstain": 3})
    data = json.loads(json.dumps(result.to_dict()))
    assert data["majority_share"] == "45/2" and result.majority_share == Fraction(45, 2)
    assert data["majority_minimum"] == 23 and data["quorum_minimum"] == 40
    assert data["rule"] == {"quorum": ">=2/3", "majority": ">1/2", "majority_base": "present",
                            "residents_base": None}
    assert data["counts"] == [{"key": "yes", "label": "赞成", "count": 31},
                              {"key": "no", "label": "反对", "count": 10},
                              {"key": "abstain", "label": "弃权", "count": 4}]
    assert data["passed"] is True and data["kind"] == "secret"


# --- tally of choose up to k ---------------------------------------------------------------------

def choose_result(ballots):
    return tally(rule("two_committees"), snapshot(9, online=len(ballots), options=ABC), ballots)


# 7 present of 9 in 两委联席会议: an option needs > 3.5, i.e. 4, of the present; 2 seats.
@pytest.mark.parametrize("ballots, counts, elected, runoff", [
    ([[0, 1]] * 4 + [[0, 2]] + [[2]] * 2, (5, 4, 3), (0, 1), ()),   # 4 is exactly enough
    ([[0, 2]] * 3 + [[1]] * 3 + [[]], (3, 3, 3), (), ()),            # 3 < 3.5: nobody
    ([[0, 1]] * 2 + [[0, 2]] * 2 + [[1, 2]] * 2 + [[0]], (5, 4, 4), (0,), (1, 2)),  # tie at seat 2
    ([[0, 1]] * 2 + [[0, 2]] * 2 + [[1, 2]] * 2 + [[]], (4, 4, 4), (), (0, 1, 2)),  # three-way tie
    ([[0, 1]] * 4 + [[1, 2]] * 3, (4, 7, 3), (1, 0), ()),           # best count first
    ([[]] * 7, (0, 0, 0), (), ()),                                   # all blank
])
def test_options_meeting_the_majority_are_selected_up_to_k(ballots, counts, elected, runoff):
    result = choose_result(ballots)
    assert result.counts == counts
    assert (result.elected, result.runoff) == (elected, runoff)
    assert result.passed is None
    assert result.cast == 7 and result.blank == sum(1 for b in ballots if not b)


def test_choose_words_give_every_count_the_bar_and_the_selection():
    result = choose_result([[0, 1]] * 4 + [[0, 2]] + [[2]] + [[]])
    assert result.text == (
        "应到 9 人，实到 7 人（> 1/2 即 5 人，符合法定人数）；甲 5 票，乙 4 票，丙 2 票；"
        "得票 > 实到 7 人的半数 3.5 者入选，最多 2 项：入选 甲、乙；投票 7 人，空白票 1 张")
    tied = choose_result([[0, 1]] * 2 + [[0, 2]] * 2 + [[1, 2]] * 2 + [[0]])
    assert tied.text.endswith("入选 甲；乙、丙 票数相等，须再次投票；投票 7 人")


@pytest.mark.parametrize("yes, elected", [(20, ()), (21, (0,))])
def test_choose_against_the_members_base(yes, elected):
    # 党员大会: 40 members, 30 present, one seat; 20 of 40 members is not 过半数
    options = OptionSet.choose(["方案一", "方案二"])
    snap = snapshot(40, online=30, options=options)
    result = tally(rule("party_members_assembly"), snap, [[0]] * yes + [[1]] * (30 - yes))
    assert result.elected == elected
    assert "应到 40 人的半数 20" in result.text


def test_choose_without_quorum_selects_nothing():
    snap = snapshot(9, online=4, options=ABC)
    result = tally(rule("two_committees"), snap, [[0]] * 4)
    assert result.elected == () and result.quorum_met is False
    assert "表决无效" in result.text


def test_choose_hall_totals_and_online_ballots_add_up():
    snap = snapshot(9, hall=4, online=3, options=ABC)
    result = tally(rule("two_committees"), snap, [[0], [0, 1], []],
                   {"counts": [2, 1, 1], "ballots": 4, "blank": 1, "invalid": 1})
    assert result.counts == (4, 2, 1)
    assert (result.cast, result.blank, result.invalid) == (7, 2, 1)
    assert result.elected == (0,)
    assert result.to_dict()["counts"][0] == {"key": 0, "label": "甲", "count": 4}


# --- progress ------------------------------------------------------------------------------------

@pytest.mark.parametrize("cast, eligible, remaining, complete", [
    (0, 10, 10, False), (9, 10, 1, False), (10, 10, 0, True), (0, 0, 0, False),
])
def test_progress(cast, eligible, remaining, complete):
    p = progress(cast, eligible)
    assert (p.remaining, p.complete) == (remaining, complete)
    assert p.to_dict() == {"cast": cast, "eligible": eligible, "remaining": remaining,
                           "complete": complete}
    assert p.share == (Fraction(cast, eligible) if eligible else 0)


@pytest.mark.parametrize("cast, eligible", [(11, 10), (-1, 10), (1, -1), (1.0, 2)])
def test_impossible_progress_is_refused(cast, eligible):
    with pytest.raises(RuleError):
        progress(cast, eligible)


def test_a_secret_vote_is_counted_for_progress_in_households_on_the_household_base():
    snap = household_snapshot(online={1, 2, 3, 4})
    assert snap.present_count == 2 and progress(1, snap.present_count).remaining == 1


@pytest.mark.parametrize("options, totals, words", [
    (OptionSet.motion(), {"yes": 1, "no": 1}, "现场纸质票 2 张：赞成 1，反对 1，弃权 0；无效 0"),
    (OptionSet.motion(), {"yes": 0, "no": 0, "abstain": 3, "invalid": 1},
     "现场纸质票 4 张：赞成 0，反对 0，弃权 3；无效 1"),
    (ABC, {"counts": [5, 4, 3], "ballots": 8, "blank": 1},
     "现场纸质票 8 张：甲 5，乙 4，丙 3；空白 1，无效 0"),
])
def test_sealed_hall_totals_read_back_in_words(options, totals, words):
    sealed = HallTotals.parse(options, totals).canonical()
    assert HallTotals.from_canonical(sealed).words(options) == words


@pytest.mark.parametrize("choice", ["yes", "0,2", ""])
def test_an_ordinary_choice_is_not_read_as_hall_totals(choice):
    assert HallTotals.from_canonical(choice) is None
