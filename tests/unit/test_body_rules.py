"""The legal presets: quorum and majority at and around every boundary, in exact fractions."""
from fractions import Fraction

import pytest

from app.community.rules import (
    HALF, PRESETS, TWO_THIRDS, Base, BodyRule, RuleError, Threshold, decide, meeting_name,
    quorum_text,
)


def rule(key):
    return PRESETS[key].rule


def test_every_preset_of_the_design_exists_with_its_source():
    assert set(PRESETS) == {
        "party_branch_committee", "two_committees", "party_members_assembly",
        "representatives_assembly", "residents_assembly", "deliberation_council",
        "supervisory_committee",
    }
    assert all(p.source for p in PRESETS.values())
    assert {k: p.rule.notice_days for k, p in PRESETS.items()} == {
        "party_branch_committee": 1, "two_committees": 1, "party_members_assembly": 3,
        "representatives_assembly": 3, "residents_assembly": 10, "deliberation_council": 2,
        "supervisory_committee": 1,
    }


@pytest.mark.parametrize("count, base, met", [
    (0, 0, False),   # nobody to count: nothing sits
    (0, 1, False), (1, 1, True),
    (1, 2, False), (2, 2, True),       # exactly half is not 过半数
    (2, 3, True), (1, 3, False),
    (30, 60, False), (31, 60, True),   # 60 members: 31 needed
    (30, 59, True), (29, 59, False),   # 59 members: 29.5 -> 30 needed
])
def test_more_than_half_is_strict(count, base, met):
    assert HALF.met(count, base) is met


@pytest.mark.parametrize("count, base, met", [
    (0, 0, False),
    (40, 60, True), (39, 60, False),   # 2/3 of 60 is exactly 40: 以上 includes it
    (41, 61, True), (40, 61, False),   # 40.67 -> 41
    (2, 3, True), (1, 3, False),
    (1, 1, True),
])
def test_two_thirds_includes_the_number(count, base, met):
    assert TWO_THIRDS.met(count, base) is met


@pytest.mark.parametrize("threshold, base, minimum", [
    (HALF, 60, 31), (HALF, 59, 30), (HALF, 1, 1), (HALF, 2, 2), (HALF, 0, None),
    (TWO_THIRDS, 60, 40), (TWO_THIRDS, 61, 41), (TWO_THIRDS, 3, 2), (TWO_THIRDS, 0, None),
])
def test_minimum_is_the_smallest_count_that_meets(threshold, base, minimum):
    assert threshold.minimum(base) == minimum
    if minimum is not None:
        assert threshold.met(minimum, base)
        assert not threshold.met(minimum - 1, base)


def test_thresholds_round_trip_through_their_stored_text():
    for text in (">1/2", ">=2/3", ">=1/2", ">3/4"):
        assert str(Threshold.parse(text)) == text
    assert Threshold.parse(">=2/3").fraction == Fraction(2, 3)


@pytest.mark.parametrize("bad", ["1/2", "=>1/2", ">0", ">3/2", ">x", ">1/0", ""])
def test_bad_threshold_text_is_refused(bad):
    with pytest.raises(RuleError):
        Threshold.parse(bad)


# (preset, members, present, yes) -> (quorum met, passed)
CASES = [
    # 居民代表会议: present >= 2/3 members, yes > 1/2 present
    ("representatives_assembly", 60, 40, 21, True, True),
    ("representatives_assembly", 60, 40, 20, True, False),      # tie of present: not passed
    ("representatives_assembly", 60, 39, 39, False, False),     # one short of quorum
    ("representatives_assembly", 60, 45, 23, True, True),       # 22.5 -> 23 passes
    ("representatives_assembly", 60, 45, 22, True, False),
    # 两委联席会议: present > 1/2 members, yes > 1/2 present
    ("two_committees", 9, 5, 3, True, True),
    ("two_committees", 9, 4, 4, False, False),
    ("two_committees", 10, 5, 5, False, False),                 # exactly half present is not enough
    ("two_committees", 10, 6, 3, True, False),
    # 党员大会: present > 1/2 members, yes > 1/2 members (absences count against)
    ("party_members_assembly", 40, 21, 21, True, True),
    ("party_members_assembly", 40, 21, 20, True, False),        # 20 of 40 members is not 过半数
    ("party_members_assembly", 40, 40, 20, True, False),
    ("party_members_assembly", 41, 21, 21, True, True),
    # 党支部委员会, 协商议事会, 居务监督委员会: yes > 1/2 members
    ("party_branch_committee", 5, 3, 3, True, True),
    ("party_branch_committee", 5, 3, 2, True, False),
    ("deliberation_council", 11, 6, 6, True, True),
    ("deliberation_council", 11, 11, 5, True, False),
    ("supervisory_committee", 3, 2, 2, True, True),
    ("supervisory_committee", 3, 1, 1, False, False),
    # 居民会议: present > 1/2 of the base, yes > 1/2 present
    ("residents_assembly", 200, 101, 51, True, True),
    ("residents_assembly", 200, 100, 100, False, False),
    # nobody present, all abstain
    ("two_committees", 9, 0, 0, False, False),
    ("representatives_assembly", 30, 30, 0, True, False),
]


@pytest.mark.parametrize("key, members, present, yes, quorum, passed", CASES)
def test_presets_decide_exactly(key, members, present, yes, quorum, passed):
    decision = decide(rule(key), members, present, yes)
    assert decision.quorum_met is quorum
    assert decision.passed is passed


def test_the_result_is_explained_in_words():
    decision = decide(rule("representatives_assembly"), 60, 45, 31)
    assert decision.text == ("应到 60 人，实到 45 人（≥ 2/3 即 40 人，符合法定人数）；"
                             "赞成 31 票 > 实到 45 人的半数 22.5，通过")
    failed = decide(rule("representatives_assembly"), 60, 39, 31)
    assert "不符合法定人数" in failed.text and "表决无效" in failed.text
    lost = decide(rule("party_members_assembly"), 40, 30, 20)
    assert lost.text.endswith("赞成 20 票 ≤ 应到 40 人的半数 20，未通过")


def test_quorum_text_with_no_members():
    assert "无应到成员" in quorum_text(rule("two_committees"), 0, 0)


def test_the_stricter_local_options():
    strict_reps = rule("representatives_assembly").with_options(majority_base=Base.MEMBERS)
    assert decide(strict_reps, 60, 45, 30).passed is False  # 30 of 60 members is not a majority
    assert decide(strict_reps, 60, 45, 31).passed is True
    four_plus_two = rule("party_members_assembly").with_options(quorum=TWO_THIRDS)
    assert decide(four_plus_two, 30, 19, 19).quorum_met is False
    assert decide(four_plus_two, 30, 20, 16).passed is True


@pytest.mark.parametrize("changes", [
    {"quorum": Threshold(Fraction(1, 3), True)},
    {"quorum": Threshold(Fraction(1, 2), True)},      # "at least half" is not 过半数
    {"majority": Threshold(Fraction(1, 2), True)},
    {"notice_days": -1},
])
def test_a_rule_below_the_legal_floor_is_refused(changes):
    with pytest.raises(RuleError):
        rule("two_committees").with_options(**changes)


@pytest.mark.parametrize("members, present, yes", [(10, 5, 6), (10, 11, 5), (-1, 0, 0)])
def test_impossible_counts_are_refused(members, present, yes):
    with pytest.raises(RuleError):
        decide(rule("two_committees"), members, present, yes)


def test_rules_are_exact_not_floating():
    weird = BodyRule(Threshold(Fraction(2, 3), True), HALF, Base.PRESENT, 3)
    # 2/3 * 3 == 2 exactly; a float would give 1.9999999999999998 and let 2 pass for the wrong reason
    assert weird.quorum.met(2, 3) and not weird.quorum.met(1, 3)


@pytest.mark.parametrize("body, meeting", [
    ("党支部委员会", "党支部委员会会议"),
    ("两委联席会议", "两委联席会议"),          # a meeting by name: no 「会议会议」
    ("党员大会", "党员大会"),
    ("居民代表会议", "居民代表会议"),
    ("居民会议", "居民会议"),
    ("社区协商议事会", "社区协商议事会会议"),
    ("居务监督委员会", "居务监督委员会会议"),
])
def test_a_bodys_meeting_is_called_by_one_name(body, meeting):
    assert meeting_name(body) == meeting


def test_every_presets_meeting_name_says_会议_once_at_most():
    for preset in PRESETS.values():
        assert meeting_name(preset.name).count("会议") <= 1
