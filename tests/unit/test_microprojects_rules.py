"""The pure rules of a micro-project round: the phase clock, the choice, paper totals, funding."""
from datetime import datetime, timedelta

import pytest

from app.core.refusal import Refused
from app.microprojects import rules
from app.microprojects.rules import (
    Candidate, ChoiceMode, ChoiceRule, Dates, Kind, Phase, check_choice, check_paper_totals, fund,
)

T0 = datetime(2026, 3, 1, 0, 0)
DATES = Dates(*(T0 + timedelta(days=10 * i) for i in range(7)))


# -- the phase clock ---------------------------------------------------------------------------

@pytest.mark.parametrize("offset, phase", [
    (-1, Phase.upcoming), (0, Phase.collecting), (9.99, Phase.collecting), (10, Phase.screening),
    (20, Phase.deliberation), (30, Phase.voting), (39.9, Phase.voting), (40, Phase.results),
    (50, Phase.implementation), (60, Phase.closed), (600, Phase.closed),
])
def test_the_clock_alone(offset, phase):
    assert rules.clock_phase(DATES, T0 + timedelta(days=offset)) is phase
    assert rules.phase_at(DATES, T0 + timedelta(days=offset), shortlist_fixed=True).phase is phase


def test_exactly_at_a_phase_start_is_that_phase():
    for start, phase in zip(DATES.ordered(), rules.PHASES):
        assert rules.clock_phase(DATES, start) is phase
        assert rules.clock_phase(DATES, start - timedelta(microseconds=1)) is not phase


@pytest.mark.parametrize("offset", [30, 45, 55, 70])
def test_without_a_fixed_shortlist_the_round_waits_in_deliberation(offset):
    view = rules.phase_at(DATES, T0 + timedelta(days=offset), shortlist_fixed=False)
    assert view.phase is Phase.deliberation and view.is_waiting
    assert view.clock is rules.clock_phase(DATES, T0 + timedelta(days=offset))


@pytest.mark.parametrize("offset", [-1, 0, 10, 20])
def test_before_voting_the_shortlist_does_not_matter(offset):
    view = rules.phase_at(DATES, T0 + timedelta(days=offset), shortlist_fixed=False)
    assert not view.is_waiting and view.phase is view.clock


def test_dates_must_follow_each_other():
    rules.check_dates(DATES)
    values = DATES.ordered()
    values[3] = values[2]   # voting starts when deliberation does
    with pytest.raises(Refused) as exc:
        rules.check_dates(Dates(*values))
    assert exc.value.code == "dates" and "deliberate_start_dt" in exc.value.details
    values = DATES.ordered()
    values[6] = None
    with pytest.raises(Refused):
        rules.check_dates(Dates(*values))


def test_require_phase():
    view = rules.phase_at(DATES, T0, shortlist_fixed=False)
    rules.require_phase(view, Phase.collecting)
    with pytest.raises(Refused) as exc:
        rules.require_phase(view, Phase.voting)
    assert exc.value.code == "wrong_phase" and exc.value.status == 409


# -- the choice --------------------------------------------------------------------------------

COSTS = {1: 50_000_00, 2: 30_000_00, 3: 20_000_00, 4: 1}


def test_up_to_k():
    rule = ChoiceRule(ChoiceMode.up_to_k, 2, 10**9)
    assert check_choice(rule, [3, 1], COSTS) == (1, 3)
    assert check_choice(rule, [4], COSTS) == (4,)
    with pytest.raises(Refused) as exc:
        check_choice(rule, [1, 2, 3], COSTS)
    assert exc.value.code == "too_many_choices" and exc.value.params["num"] == 2


@pytest.mark.parametrize("picks, code", [
    ([], "empty_choice"), ([1, 1], "bad_choice"), ([9], "not_on_ballot"), (["1"], "bad_choice"),
    ([True], "bad_choice"),
])
def test_bad_choices(picks, code):
    for mode in ChoiceMode:
        with pytest.raises(Refused) as exc:
            check_choice(ChoiceRule(mode, 3, 100_000_00), picks, COSTS)
        assert exc.value.code == code


def test_within_the_fund_exactly_to_the_fen():
    rule = ChoiceRule(ChoiceMode.within_fund, 0, 100_000_00)
    assert check_choice(rule, [1, 2, 3], COSTS) == (1, 2, 3)          # exactly the fund
    assert rules.money_left(rule, [1, 2, 3], COSTS) == 0
    with pytest.raises(Refused) as exc:
        check_choice(rule, [1, 2, 3, 4], COSTS)                         # one fen over
    assert exc.value.code == "over_fund" and exc.value.params["over"] == "0.01"
    assert rules.money_left(rule, [1], COSTS) == 50_000_00
    # any number of projects while they fit: k does not apply
    assert check_choice(ChoiceRule(ChoiceMode.within_fund, 1, 10**9), [1, 2, 3, 4], COSTS)


def test_canonical_round_trip():
    assert rules.canonical([3, 1, 12]) == "1,3,12"
    assert rules.parse_canonical("1,3,12") == (1, 3, 12)
    assert rules.parse_canonical("") == ()


# -- paper totals -------------------------------------------------------------------------------

def test_paper_totals_never_more_than_the_paper_voters():
    rule = ChoiceRule(ChoiceMode.up_to_k, 2, 0)
    assert check_paper_totals(rule, {1: 10, 2: 10}, 10, COSTS) == {1: 10, 2: 10}
    with pytest.raises(Refused) as exc:
        check_paper_totals(rule, {1: 11}, 10, COSTS)
    assert exc.value.code == "too_many" and exc.value.status == 409
    # k marks per voter at most, in all
    with pytest.raises(Refused):
        check_paper_totals(rule, {1: 10, 2: 10, 3: 1}, 10, COSTS)
    # within the fund: each project at most the voters; no bound on the sum
    funded = ChoiceRule(ChoiceMode.within_fund, 0, 10**9)
    assert check_paper_totals(funded, {1: 10, 2: 10, 3: 10, 4: 10}, 10, COSTS)


@pytest.mark.parametrize("totals, code", [({1: -1}, "bad_total"), ({1: "3"}, "bad_total"),
                                          ({1: True}, "bad_total"), ({99: 1}, "not_on_ballot")])
def test_paper_totals_bad_input(totals, code):
    with pytest.raises(Refused) as exc:
        check_paper_totals(ChoiceRule(ChoiceMode.up_to_k, 3, 0), totals, 5, COSTS)
    assert exc.value.code == code


def test_no_paper_voters_no_paper_votes():
    rule = ChoiceRule(ChoiceMode.up_to_k, 3, 0)
    assert check_paper_totals(rule, {1: 0}, 0, COSTS) == {1: 0}
    with pytest.raises(Refused):
        check_paper_totals(rule, {1: 1}, 0, COSTS)


# -- funding ------------------------------------------------------------------------------------

def test_greedy_in_rank_order():
    result = fund([Candidate(1, 90, 40_00), Candidate(2, 80, 30_00), Candidate(3, 70, 30_00)], 100_00)
    assert [line.id for line in result.lines] == [1, 2, 3]
    assert result.funded_ids == [1, 2, 3] and result.committed_fen == 100_00 and result.left_fen == 0


def test_a_project_that_no_longer_fits_is_skipped_and_the_next_that_fits_taken():
    result = fund([Candidate(1, 90, 60_00), Candidate(2, 80, 50_00), Candidate(3, 70, 40_00),
                   Candidate(4, 60, 1_00)], 100_00)
    by_id = {line.id: line for line in result.lines}
    assert result.funded_ids == [1, 3]
    assert by_id[2].reason == "does_not_fit" and by_id[2].left_after_fen == 40_00
    assert by_id[4].is_funded is False and by_id[4].reason == "does_not_fit"   # 0.00 left
    assert result.left_fen == 0


def test_exact_fen_fits_and_one_fen_more_does_not():
    assert fund([Candidate(1, 5, 100_00)], 100_00).funded_ids == [1]
    over = fund([Candidate(1, 5, 100_01), Candidate(2, 1, 99_99)], 100_00)
    assert over.funded_ids == [2] and over.left_fen == 1 and over.committed_fen == 99_99
    assert isinstance(over.committed_fen, int)


def test_ties_go_to_the_smaller_estimate_then_the_earlier_idea():
    result = fund([Candidate(7, 50, 30_00), Candidate(3, 50, 30_00), Candidate(5, 50, 20_00),
                   Candidate(9, 60, 90_00)], 100_00)
    assert [line.id for line in result.lines] == [9, 5, 3, 7]
    assert [line.rank for line in result.lines] == [1, 2, 3, 4]
    assert result.funded_ids == [9]   # 10.00 left: none of the tied fits


def test_no_votes_no_money():
    result = fund([Candidate(1, 0, 1_00), Candidate(2, 1, 1_00)], 100_00)
    assert result.funded_ids == [2]
    assert [line.reason for line in result.lines] == ["funded", "no_votes"]


def test_empty_and_zero_fund():
    assert fund([], 100).lines == () and fund([], 100).left_fen == 100
    assert fund([Candidate(1, 3, 1)], 0).funded_ids == []
    with pytest.raises(Refused):
        fund([], -1)
    with pytest.raises(Refused):
        fund([Candidate(1, 1, -5)], 10)


def test_funding_round_trips_through_json():
    result = fund([Candidate(1, 9, 40_00), Candidate(2, 8, 70_00)], 100_00)
    assert rules.Funding.from_dict(result.to_dict()) == result


# -- money and screening ------------------------------------------------------------------------

@pytest.mark.parametrize("text, fen", [("1", 100), ("1.5", 150), ("1.05", 105), ("1,234.56", 123456),
                                       ("0.01", 1), (".5", 50), ("200000", 20_000_000),
                                       ("", None), ("-1", None), ("1.234", None), ("abc", None),
                                       ("1.2.3", None), ("1e3", None), (".", None)])
def test_parse_yuan(text, fen):
    assert rules.parse_yuan(text) == fen


@pytest.mark.parametrize("fen, text", [(0, "0"), (1, "0.01"), (12345, "123.45"), (20_000_000, "200,000"),
                                       (-150, "-1.50")])
def test_yuan(fen, text):
    assert rules.yuan(fen) == text


def test_feasible_only_within_the_cap_and_the_fund():
    caps = dict(rules.DEFAULT_CAPS_FEN)
    rules.check_feasible(Kind.service, caps[Kind.service], caps, 10**9)
    with pytest.raises(Refused) as exc:
        rules.check_feasible(Kind.service, caps[Kind.service] + 1, caps, 10**9)
    assert exc.value.code == "over_cap"
    rules.check_feasible(Kind.works, 500_000_00, caps, 10**9)
    with pytest.raises(Refused) as exc:
        rules.check_feasible(Kind.goods, 10_00, caps, 9_99)
    assert exc.value.code == "over_fund"
    for bad in (0, -1, None, True):
        with pytest.raises(Refused):
            rules.check_feasible(Kind.goods, bad, caps, 10**9)


def test_overdue_and_on_time():
    due = T0
    assert rules.is_overdue(due, None, due + timedelta(seconds=1))
    assert not rules.is_overdue(due, None, due)
    assert not rules.is_overdue(due, due + timedelta(days=3), due + timedelta(days=9))
    assert rules.on_time_share([(due, due), (due, due + timedelta(days=1)), (due, None)]) == (1, 2)
    assert rules.on_time_share([]) == (0, 0)
