"""The quorum meter of a 居民会议 on the household base: households (户), the numbers the vote uses."""
import pytest

from app.community.rules import PRESETS, ResidentsBase
from app.meetings import workflow
from app.meetings.workflow import Refused
from app.votes.rules import Snapshot, VoteKind, can_open

ADULTS_RULE = PRESETS["residents_assembly"].rule
HOUSEHOLD_RULE = ADULTS_RULE.with_options(residents_base=ResidentsBase.HOUSEHOLDS)

# Ten adults in four households: 10 has three adults, 11 two, 12 four, 13 one.
HOUSEHOLDS = {1: 10, 2: 10, 3: 10, 4: 11, 5: 11, 6: 12, 7: 12, 8: 12, 9: 12, 20: 13}
VOTING = set(HOUSEHOLDS)


@pytest.mark.parametrize("present, households_present, met", [
    (set(), 0, False),                   # nobody present
    ({1, 2, 3}, 1, False),               # a household of three adults is one household
    ({1, 4}, 2, False),                  # exactly half the households: 过半数 is more than half
    ({1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, True),   # half the households and one more: three of four
    ({1, 4, 20}, 3, True),
    (VOTING, 4, True),
])
def test_the_meter_counts_households(present, households_present, met):
    meter = workflow.quorum_meter_of(HOUSEHOLD_RULE, VOTING, present, HOUSEHOLDS)
    assert (meter.members, meter.present, meter.minimum, meter.met) == (4, households_present, 3, met)
    assert meter.base == "households" and meter.unit == "户"
    assert f"应到 4 户，实到 {households_present} 户" in meter.text and " 人" not in meter.text
    data = meter.as_dict()
    assert (data["unit"], data["base"]) == ("户", "households")
    assert data["persons"] == {"members": 10, "present": len(present)}


@pytest.mark.parametrize("present", [set(), {1, 4}, {1, 2, 3, 4, 5}, {1, 4, 20}, {6, 7, 8, 9, 20}, VOTING])
@pytest.mark.parametrize("hall", [set(), {1}, {4, 5}])
def test_the_meter_and_the_open_check_of_a_vote_agree(present, hall):
    """What the room shows is what the chair's open-vote check decides, at every boundary."""
    meter = workflow.quorum_meter_of(HOUSEHOLD_RULE, VOTING, present | hall, HOUSEHOLDS)
    snapshot = Snapshot(VoteKind.NAMED, VOTING, hall, present - hall, households=HOUSEHOLDS)
    opened, text = can_open(HOUSEHOLD_RULE, snapshot)
    assert opened is meter.met
    assert (snapshot.members_count, snapshot.present_count) == (meter.members, meter.present)
    assert text.startswith(meter.text)


def test_present_people_outside_the_voting_members_do_not_count():
    meter = workflow.quorum_meter_of(HOUSEHOLD_RULE, {1, 4, 20}, {1, 2, 3, 6}, HOUSEHOLDS)
    assert (meter.members, meter.present) == (3, 1)
    assert meter.as_dict()["persons"] == {"members": 3, "present": 1}


def test_the_household_base_needs_every_voting_members_household():
    with pytest.raises(Refused):
        workflow.quorum_meter_of(HOUSEHOLD_RULE, VOTING, {1}, {1: 10})
    with pytest.raises(Refused):
        workflow.quorum_meter_of(HOUSEHOLD_RULE, VOTING, {1})


def test_nobody_to_count_on_the_household_base():
    meter = workflow.quorum_meter_of(HOUSEHOLD_RULE, set(), set(), {})
    assert (meter.members, meter.present, meter.minimum, meter.met) == (0, 0, None, False)
    assert meter.text == "应到 0 户，实到 0 户（无应到成员，不符合法定人数）"


@pytest.mark.parametrize("present, met", [({1, 2, 3, 4, 5}, False), ({1, 2, 3, 4, 5, 6}, True)])
def test_the_other_bases_count_people(present, met):
    """All adults: ten people, half of them is not a quorum, one more is; households play no part."""
    meter = workflow.quorum_meter_of(ADULTS_RULE, VOTING, present, HOUSEHOLDS)
    assert (meter.members, meter.present, meter.met) == (10, len(present), met)
    data = meter.as_dict()
    assert (data["unit"], data["base"]) == ("人", "persons")
    assert data["persons"] == {"members": 10, "present": len(present)}
    assert f"应到 10 人，实到 {len(present)} 人" in meter.text
