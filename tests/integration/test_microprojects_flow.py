"""A micro-project round end to end through its pages: set up, ideas, screening, the 议事会's vote
fixing the shortlist, residents' secret ballots and paper totals, the funded result, implementation,
acceptance; and what is refused on the way."""
import json

import pytest

from app.core.refusal import Refused
from app.microprojects import implementation as impl, operations as ops, voting
from app.microprojects.models import MicroBallot, MicroIdea, MicroParticipation, MicroRound
from tests.integration.micro_helpers import MicroWorld, move_to, settle_background


@pytest.fixture(autouse=True)
def background_settled(db):
    yield
    settle_background()


@pytest.fixture()
def world(make, db):
    return MicroWorld(make, db)


def _ids(html, attr):
    return html.count(attr)


def test_a_round_end_to_end_through_the_pages(world, db, client, auth):
    w = world
    c = w.c
    # Staff set up the round through the form.
    auth(client, w.staff)
    page = client.get(f"/c/{c.id}/micro/new")
    assert page.status_code == 200
    form = {"title": "2026 年阳光社区民生微实事", "year": "2026", "fund": "100000", "service_cap": "200000",
            "goods_cap": "200000", "works_cap": "500000", "categories": "", "ballot_base": "person",
            "choice_mode": "within_fund", "max_choices": "3", "is_changeable": "y", "matter_threshold": "40000"}
    from tests.integration.micro_helpers import dates_for
    for name, value in zip(("collect_start", "screen_start", "deliberate_start", "vote_start", "vote_end",
                            "implement_start", "close"), dates_for("collecting").ordered()):
        form[name] = (value + __import__("datetime").timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/c/{c.id}/micro/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    round_ = MicroRound.query.one()
    assert round_.fund_fen == 100_000_00 and round_.matter_threshold_fen == 40_000_00
    assert round_.phase().phase.value == "collecting"

    # Residents submit ideas; staff record one from a visit; a neighbour co-signs.
    client.post("/auth/logout")
    auth(client, w.resident)
    for title, cost in (("楼道加装扶手", "30000"), ("小区儿童游乐设施更新", "50000"), ("社区长者饭堂", "45000")):
        response = client.post(f"/c/{c.id}/micro/{round_.id}/ideas/new", data={
            "title": title, "description": "居民反映强烈，希望今年能够解决这个问题。", "beneficiaries": "全体居民",
            "place": "小区内", "kind": "works", "category": "环境改善", "cost": cost})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    hints = client.get(f"/c/{c.id}/micro/{round_.id}/similar?q=楼道扶手").get_json()["items"]
    assert hints and hints[0]["title"] == "楼道加装扶手"
    ideas = MicroIdea.query.order_by(MicroIdea.id).all()
    client.post("/auth/logout")
    auth(client, w.residents[1])
    assert client.post(f"/c/{c.id}/micro/{round_.id}/ideas/{ideas[0].id}/cosign").status_code == 302
    assert client.post(f"/c/{c.id}/micro/{round_.id}/ideas/{ideas[0].id}/cosign").status_code == 302
    db.session.refresh(ideas[0])
    assert ideas[0].cosign_count == 1
    # A resident cannot screen.
    move_to(db, round_, "screening")
    client.post(f"/c/{c.id}/micro/{round_.id}/ideas/{ideas[0].id}/screen",
                data={"decision": "feasible", "estimate": "30000", "reason": "我觉得可以"})
    db.session.refresh(ideas[0])
    assert ideas[0].screening is None

    # Staff screen: two feasible, one not (over the works cap would be refused as feasible).
    client.post("/auth/logout")
    auth(client, w.staff)
    base = f"/c/{c.id}/micro/{round_.id}/ideas"
    client.post(f"{base}/{ideas[0].id}/screen", data={"decision": "feasible", "estimate": "30000.00",
                                                      "handler_org_id": str(w.org.id), "reason": "符合资金使用范围。"})
    client.post(f"{base}/{ideas[1].id}/screen", data={"decision": "feasible", "estimate": "60000",
                                                      "reason": "场地具备，估算六万元。"})
    client.post(f"{base}/{ideas[2].id}/screen", data={"decision": "infeasible", "ground": "already_planned",
                                                      "reason": "街道已列入明年计划。"})
    client.post(f"{base}/{ideas[2].id}/screen", data={"decision": "feasible", "estimate": "600000",
                                                      "reason": "超过上限"})   # refused: over the cap
    for idea in ideas:
        db.session.refresh(idea)
    assert [i.screening for i in ideas] == ["feasible", "feasible", "infeasible"]
    assert ideas[0].estimate_fen == 30_000_00 and ideas[2].ground == "already_planned"

    # Deliberation: the 议事会 votes the list in the live room; the result fixes the shortlist.
    move_to(db, round_, "deliberation")
    w.deliberate(round_)
    assert round_.shortlist_fixed_dt is not None
    assert [i.id for i in ops.shortlist(round_)] == [ideas[0].id, ideas[1].id]
    assert "通过" in round_.shortlist_result_text

    # Voting: within the fund (100,000 元): both fit exactly (30,000 + 60,000).
    move_to(db, round_, "voting")
    client.post("/auth/logout")
    receipts = []
    for resident in w.residents:
        auth(client, resident)
        page = client.get(f"/c/{c.id}/micro/{round_.id}/ballot")
        assert 'data-mode="within_fund"' in page.get_data(as_text=True)
        picks = [ideas[0].id] if resident is w.residents[2] else [ideas[0].id, ideas[1].id]
        response = client.post(f"/c/{c.id}/micro/{round_.id}/ballot", data={"pick": [str(p) for p in picks]})
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        receipts.append(text.split('data-receipt="')[1].split('"')[0])
        client.post("/auth/logout")
    assert len(set(receipts)) == 3
    assert MicroParticipation.query.count() == 3 and MicroBallot.query.count() == 3
    # Staff at the polling table: a resident votes on paper, totals entered.
    paper_voter = w.make.user(c, name="纸质投票居民", building="5", room="501")
    auth(client, w.staff)
    client.post(f"/c/{c.id}/micro/{round_.id}/paper", data={"what": "voter", "voter-phone": paper_voter.phone})
    assert voting.paper_voters(round_) == 1
    too_many = client.post(f"/c/{c.id}/micro/{round_.id}/paper",
                           data={"what": "totals", f"total-{ideas[1].id}": "2"})
    assert too_many.status_code == 409
    client.post(f"/c/{c.id}/micro/{round_.id}/paper", data={"what": "totals", f"total-{ideas[1].id}": "1"})
    assert voting.paper_totals(round_) == {ideas[0].id: 0, ideas[1].id: 1}
    # ... and that resident is refused online.
    client.post("/auth/logout")
    auth(client, paper_voter)
    refused = client.post(f"/c/{c.id}/micro/{round_.id}/ballot", data={"pick": [str(ideas[0].id)]})
    assert refused.status_code == 409
    client.post("/auth/logout")

    # Results: ranked by votes, funded while the fund lasts; the large one opens a matter.
    move_to(db, round_, "results")
    board = client.get(f"/notice/micro/{round_.id}")
    assert board.status_code == 200
    db.session.refresh(round_)
    funding = round_.funding
    assert [(line.id, line.votes, line.is_funded) for line in funding.lines] == [
        (ideas[0].id, 3, True), (ideas[1].id, 3, True)]
    assert funding.committed_fen == 90_000_00 and funding.left_fen == 10_000_00
    html = board.get_data(as_text=True)
    assert 'data-funded="true"' in html and 'id="funding-rule"' in html
    db.session.refresh(ideas[1])
    assert ideas[1].matter_id is not None   # 60,000 元 > the 40,000 元 threshold
    assert ideas[0].matter_id is None
    data = client.get(f"/notice/micro/{round_.id}.json").get_json()
    assert data["results"]["committed_fen"] == 90_000_00 and data["results"]["turnout"]["paper"] == 1
    csv_text = client.get(f"/notice/micro/{round_.id}.csv").get_data(as_text=True)
    assert csv_text.count("\n") == 4
    found = client.get(f"/notice/micro/{round_.id}/receipts?code={receipts[0]}")
    assert 'id="found"' in found.get_data(as_text=True)

    # Implementation: assigned, a milestone done with a photo, spending, accepted, confirmed, rated.
    move_to(db, round_, "implementation")
    auth(client, w.staff)
    client.post(f"{base}/{ideas[0].id}/assign", data={"org_id": str(w.org.id), "phones": w.residents[1].phone})
    client.post(f"{base}/{ideas[0].id}/milestone", data={"title": "采购并安装扶手", "due": "2020-01-01T09:00",
                                                         "percent": "100"})
    db.session.refresh(ideas[0])
    milestone = ideas[0].milestones[0]
    assert milestone.is_overdue()
    client.post("/auth/logout")
    auth(client, w.residents[1])   # the handler's person
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    response = client.post(f"{base}/{ideas[0].id}/milestones/{milestone.id}/done",
                           data={"note": "已全部安装。", "photos": [(__import__("io").BytesIO(png), "a.png")]},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    client.post(f"{base}/{ideas[0].id}/spending", data={"amount": "28500.50", "note": "扶手材料与安装"})
    db.session.refresh(ideas[0])
    assert ideas[0].progress == 100 and ideas[0].spent_fen == 28_500_50 and len(ideas[0].photos) == 1
    client.post("/auth/logout")
    auth(client, w.staff)
    client.post(f"{base}/{ideas[0].id}/accept", data={"note": "扶手牢固，验收合格。"})
    client.post("/auth/logout")
    auth(client, w.supervisor)
    client.post(f"{base}/{ideas[0].id}/confirm")
    client.post("/auth/logout")
    auth(client, w.residents[2])
    client.post(f"{base}/{ideas[0].id}/rate", data={"rating": "satisfied"})
    db.session.refresh(ideas[0])
    assert ideas[0].accepted_dt and ideas[0].confirmed_dt
    assert impl.ratings(ideas[0])[impl.Rating.satisfied] == 1
    page = client.get(f"{base}/{ideas[0].id}").get_data(as_text=True)
    assert 'id="confirmed"' in page and 'data-overdue="false"' in page
    stats = client.get("/notice/micro/stats").get_data(as_text=True)
    assert 'id="micro-satisfaction"' in stats and f'data-round-id="{round_.id}"' in stats
    sheet = client.get(f"/notice/micro/{round_.id}/print")
    assert sheet.status_code == 200 and 'id="print-button"' in sheet.get_data(as_text=True)
    # The sheet is the board's one sheet layout: it speaks the reader's language like the others.
    english = client.get(f"/notice/micro/{round_.id}/print", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert b"<feed" in client.get("/notice/micro/feed.atom").data
    # The round is a posting on the board too: listed under its kind, found by an idea's words.
    listed = client.get("/notice/?kind=micro").get_data(as_text=True)
    assert round_.title in listed and f"/notice/micro/{round_.id}" in listed
    assert round_.title in client.get("/notice/?q=长者饭堂").get_data(as_text=True)
    json.dumps(data)


def test_paper_and_online_never_both(world, db):
    w = world
    round_ = w.round("collecting")
    idea = w.idea(round_)
    move_to(db, round_, "screening")
    ops.screen(w.staff, idea, feasible=True, estimate_fen=10_00, reason="可行，估算十元。")
    db.session.commit()
    move_to(db, round_, "deliberation")
    w.deliberate(round_)
    move_to(db, round_, "voting")
    voting.cast(w.residents[0], round_.id, [idea.id])
    with pytest.raises(Refused) as exc:
        voting.record_paper_voter(w.staff, round_, w.residents[0].phone)
    assert exc.value.code == "voted_online"
    voting.record_paper_voter(w.staff, round_, w.residents[1].phone)
    db.session.commit()
    with pytest.raises(Refused) as exc:
        voting.cast(w.residents[1], round_.id, [idea.id])
    assert exc.value.code == "voted_on_paper"
    with pytest.raises(Refused) as exc:
        voting.set_paper_totals(w.staff, round_, {idea.id: 2})
    assert exc.value.code == "too_many"
    with pytest.raises(Refused) as exc:
        voting.set_paper_totals(w.residents[2], round_, {idea.id: 1})
    assert exc.value.code == "forbidden"


def test_a_failed_council_vote_leaves_the_round_waiting(world, db):
    w = world
    round_ = w.round("collecting")
    idea = w.idea(round_)
    move_to(db, round_, "screening")
    ops.screen(w.staff, idea, feasible=True, estimate_fen=10_00, reason="可行，估算十元。")
    db.session.commit()
    move_to(db, round_, "deliberation")
    w.deliberate(round_, yes=1, no=3)
    assert round_.shortlist_fixed_dt is None and round_.agenda_item_id is None
    move_to(db, round_, "voting")
    view = round_.phase()
    assert view.phase.value == "deliberation" and view.is_waiting
    with pytest.raises(Refused) as exc:
        voting.cast(w.resident, round_.id, [idea.id])
    assert exc.value.code == "wrong_phase"


def test_final_ballots_and_households(world, db):
    w = world
    round_ = w.round("collecting", is_changeable=False, ballot_base="household")
    a, b = w.idea(round_, "安装路灯"), w.idea(round_, "修补道路")
    move_to(db, round_, "screening")
    for idea in (a, b):
        ops.screen(w.staff, idea, feasible=True, estimate_fen=10_00, reason="可行，估算十元。")
    db.session.commit()
    move_to(db, round_, "deliberation")
    w.deliberate(round_)
    move_to(db, round_, "voting")
    first = voting.cast(w.residents[0], round_.id, [a.id])
    assert voting.cast(w.residents[0], round_.id, [a.id]) == first       # a retry: the same receipt
    with pytest.raises(Refused) as exc:
        voting.cast(w.residents[0], round_.id, [b.id])
    assert exc.value.code == "household_already_cast"
    same_home = w.make.user(w.c, name="同户家人", building="2", room="001")
    with pytest.raises(Refused) as exc:
        voting.cast(same_home, round_.id, [b.id])
    assert exc.value.code == "household_already_cast"
    with pytest.raises(Refused) as exc:
        voting.cast(w.residents[1], round_.id, [a.id, b.id, 999])
    assert exc.value.code == "not_on_ballot"


def test_changeable_ballot_replaces_the_voters_own(world, db):
    w = world
    round_ = w.round("collecting")
    a, b = w.idea(round_, "安装路灯"), w.idea(round_, "修补道路")
    move_to(db, round_, "screening")
    for idea in (a, b):
        ops.screen(w.staff, idea, feasible=True, estimate_fen=10_00, reason="可行，估算十元。")
    db.session.commit()
    move_to(db, round_, "deliberation")
    w.deliberate(round_)
    move_to(db, round_, "voting")
    first = voting.cast(w.resident, round_.id, [a.id])
    second = voting.cast(w.resident, round_.id, [b.id])
    assert first == second and MicroBallot.query.count() == 1
    assert voting.count_votes(round_) == {a.id: 0, b.id: 1}
    with pytest.raises(Refused) as exc:
        voting.cast(w.resident, round_.id, [a.id, b.id, a.id])
    assert exc.value.code == "bad_choice"


def test_an_accepted_proposal_is_promoted_into_the_round(world, db, client, auth):
    from app.proposals import drafts, operations as proposals

    w = world
    round_ = w.round("collecting")
    proposal = drafts.create_draft(w.resident, w.c, title="小区路灯经常不亮", category="设施维修",
                                   problem="东门附近三盏路灯经常不亮，晚上很黑。", suggestion="更换路灯并定期巡查。",
                                   place="东门")
    db.session.flush()
    proposals.publish(w.resident, proposal)
    db.session.commit()
    with pytest.raises(Refused) as exc:   # not accepted yet
        ops.promote_proposal(w.resident, round_, proposal, kind="works")
    assert exc.value.code == "wrong_state"
    db.session.rollback()
    proposals.take_to_review(w.staff, proposal)
    proposals.accept(w.staff, proposal)
    db.session.commit()
    auth(client, w.residents[1])   # not the author: refused
    client.post(f"/c/{w.c.id}/micro/{round_.id}/promote", data={"proposal_id": proposal.id, "kind": "works"})
    assert MicroIdea.query.count() == 0
    client.post("/auth/logout")
    auth(client, w.resident)
    response = client.post(f"/c/{w.c.id}/micro/{round_.id}/promote",
                           data={"proposal_id": proposal.id, "kind": "works", "cost": "8000"})
    assert response.status_code == 302
    idea = MicroIdea.query.one()
    assert idea.proposal_id == proposal.id and idea.source == "proposal" and idea.cost_fen == 8_000_00
    assert ops.is_following(w.resident, idea)
    again = client.post(f"/c/{w.c.id}/micro/{round_.id}/promote", data={"proposal_id": proposal.id, "kind": "works"})
    assert again.status_code == 302 and MicroIdea.query.count() == 1


def test_screening_merges_and_locks_once_the_list_goes_to_the_council(world, db):
    w = world
    round_ = w.round("collecting")
    first = w.idea(round_, "楼道加装扶手")
    second = w.idea(round_, "楼道里装扶手", author=w.residents[1])
    ops.cosign(w.residents[2], second)
    db.session.commit()
    with pytest.raises(Refused) as exc:   # screening waits for its phase
        ops.screen(w.staff, first, feasible=True, estimate_fen=10_00, reason="可行，估算十元。")
    assert exc.value.code == "wrong_phase"
    db.session.rollback()
    move_to(db, round_, "screening")
    ops.screen(w.staff, second, feasible=False, merge_into_id=first.id, reason="与楼道加装扶手相同，并入。")
    ops.screen(w.staff, first, feasible=True, estimate_fen=10_00, reason="可行，估算十元。")
    db.session.commit()
    assert second.screening == "merged" and second.merged_into_id == first.id
    # The merged idea's author and co-signer now follow the one it went into.
    assert ops.is_following(w.residents[1], first) and ops.is_following(w.residents[2], first)
    with pytest.raises(Refused) as exc:
        ops.screen(w.staff, first, feasible=False, ground="not_a_ground", reason="理由写在这里。")
    assert exc.value.code == "invalid"
    db.session.rollback()
    move_to(db, round_, "deliberation")
    w.deliberate(round_)
    with pytest.raises(Refused) as exc:
        ops.screen(w.staff, first, feasible=False, ground="not_remit", reason="改变主意了。")
    assert exc.value.code == "locked"
    assert [i.id for i in ops.shortlist(round_)] == [first.id]
