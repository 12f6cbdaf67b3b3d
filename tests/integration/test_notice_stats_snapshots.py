"""The statistics read from a year's snapshot: a missing one is counted at once and kept, an old one
is served with its time while a recount replaces it, and the command line recounts ahead."""
from datetime import timedelta

import pytest

from app.core.timeutil import utcnow
from app.extensions import db as database
from app.notice import operations, rules, snapshots
from app.notice.models import NoticeStatSnapshot
from app.proposals import drafts
from app.proposals import operations as proposals
from app.proposals.models import ProposalSettings


@pytest.fixture()
def street(app, make, db, monkeypatch):
    """One community with one published proposal; snapshots kept for ten minutes."""
    monkeypatch.setitem(app.config, "NOTICE_STATS_MAX_AGE", 600)
    monkeypatch.setattr(snapshots, "_asked", {})
    community = make.community("阳光社区")
    author = make.user(community, name="张阿姨")
    db.session.add(ProposalSettings(community_id=community.id, cosign_threshold=2, window_days=14,
                                    review_days=7, reply_days=30, rehandle_days=15,
                                    categories_text="停车交通"))
    db.session.commit()

    def publish(title):
        proposal = drafts.create_draft(author, community, title=title, category="停车交通",
                                       problem="晚上车辆乱停，消防通道经常被堵住。", suggestion="划线并安排夜间巡查。")
        proposals.publish(author, proposal)
        db.session.commit()

    publish("小区停车难，晚上车辆乱停")
    yield publish
    snapshots.wait_for_refreshes()


def stored(year):
    database.session.rollback()   # read what other transactions committed
    return database.session.execute(database.select(NoticeStatSnapshot).filter_by(year=year)).scalar_one_or_none()


def test_a_missing_snapshot_is_counted_once_and_kept(client, street):
    year = rules.local_year(utcnow())
    assert stored(year) is None
    data = client.get("/api/v1/notices/stats").get_json()
    kept = stored(year)
    assert kept is not None and data["total"]["received"] == 1
    assert data["computed_at"] == kept.computed_dt.isoformat() + "+00:00"
    page = client.get(f"/notice/stats?year={year}").get_data(as_text=True)
    assert f'data-computed-at="{kept.computed_dt.isoformat()}Z"' in page
    # Kept, not recounted: a proposal published since is not counted until the snapshot is old.
    street("东门路灯不亮")
    again = client.get("/api/v1/notices/stats").get_json()
    assert again["computed_at"] == data["computed_at"] and again["total"]["received"] == 1
    assert stored(year).computed_dt == kept.computed_dt


def test_an_old_snapshot_is_served_with_its_time_then_replaced(client, street):
    year = rules.local_year(utcnow())
    an_hour_ago = utcnow() - timedelta(hours=1)
    operations.refresh_stats(year, now=an_hour_ago)
    database.session.commit()
    street("东门路灯不亮")   # published after the snapshot was counted
    served = client.get("/api/v1/notices/stats").get_json()
    assert served["computed_at"] == an_hour_ago.isoformat() + "+00:00" and served["total"]["received"] == 1
    snapshots.wait_for_refreshes()
    recounted = stored(year)
    assert recounted.computed_dt > an_hour_ago and recounted.refresh_started_dt is None
    data = client.get("/api/v1/notices/stats").get_json()
    assert data["total"]["received"] == 2
    assert data["computed_at"] == recounted.computed_dt.isoformat() + "+00:00"
    page = client.get("/notice/stats").get_data(as_text=True)
    assert f'data-computed-at="{recounted.computed_dt.isoformat()}Z"' in page


def test_one_recount_at_a_time(street):
    year = rules.local_year(utcnow())
    now = utcnow()
    operations.refresh_stats(year, now=now - timedelta(hours=1))
    database.session.commit()
    assert operations.claim_stats_refresh(year, now, now - timedelta(minutes=10))
    assert not operations.claim_stats_refresh(year, now, now - timedelta(minutes=10))
    # A recount that never finished (its process died) is taken over later.
    later = now + timedelta(seconds=operations.STATS_CLAIM_SECONDS + 1)
    assert operations.claim_stats_refresh(year, later, later - timedelta(minutes=10))


def test_the_command_line_recounts_ahead_of_the_readers(app, street):
    year = rules.local_year(utcnow())
    result = app.test_cli_runner().invoke(args=["notice", "stats", "refresh", "--year", str(year)])
    assert result.exit_code == 0 and f"statistics of {year}" in result.output, result.output
    assert stored(year).figures["communities"]
    result = app.test_cli_runner().invoke(args=["notice", "stats", "refresh", "--all"])
    assert result.exit_code == 0 and f"statistics of {year}" in result.output, result.output
