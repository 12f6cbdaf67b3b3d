"""The board's facts kept per index version (app/notice/index.py `_fact`): with the page cache
off (NOTICE_CACHE_TTL=0) the count, the categories and the years a page offers follow every
change of the index at once, and are read once per version, not on every request."""
import pytest

from app.notice import index
from app.notice import operations as notices
from tests.integration import test_notice_board as notice_board
from tests.integration.querycount import statements_of

board = notice_board.board
settled = notice_board.settled
text = notice_board.text


@pytest.fixture()
def cache_off(app):
    saved = app.config.get("NOTICE_CACHE_TTL")
    app.config["NOTICE_CACHE_TTL"] = 0
    yield
    if saved is None:
        app.config.pop("NOTICE_CACHE_TTL", None)
    else:
        app.config["NOTICE_CACHE_TTL"] = saved


def test_count_categories_and_years_follow_each_change_with_the_cache_off(client, board, db, cache_off):
    before = text(client.get("/notice/"))
    assert "共 6 条" in before and '<option value="党务公开">' not in before
    notices.create(board.admin, board.c, title="燃气安全检查", category="党务公开",
                   body="本周六入户检查燃气管道。", publish_now=True)
    db.session.commit()
    after = text(client.get("/notice/"))
    assert "共 7 条" in after and '<option value="党务公开">党务公开</option>' in after
    assert "燃气安全检查" in after


def test_the_facts_are_read_once_per_index_version(client, board, db, cache_off):
    first = statements_of(client, "/notice/?kind=proposal")      # reads them for this version
    again = statements_of(client, "/notice/?kind=proposal")
    assert len(again) == len(first) - 3          # no count, no categories, no years
    assert not any("DISTINCT" in sql.upper() or "count(" in sql.lower() for sql in again.sql)
    # A write moves the version on: the next page reads them afresh.
    index.bump(db.session)
    db.session.commit()
    assert len(statements_of(client, "/notice/?kind=proposal")) == len(first)


def test_a_renamed_community_shows_at_once_with_the_cache_off(client, board, db, cache_off):
    # The page around the rows is kept per index version; a community's name is not in the index.
    option = '<option value="%d">%s</option>'
    before = text(client.get("/notice/"))
    assert option % (board.other.id, "月亮社区") in before and "<span>月亮社区</span>" in before
    board.other.name = "星光社区"
    db.session.commit()
    after = text(client.get("/notice/"))
    assert option % (board.other.id, "星光社区") in after and "<span>星光社区</span>" in after
    assert option % (board.other.id, "月亮社区") not in after and "<span>月亮社区</span>" not in after
