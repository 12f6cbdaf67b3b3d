"""What people write is shown as written in every language: never looked up in the catalogue,
never %-formatted (a "%" in a category or an option is text), and marked as content."""
from datetime import timedelta

import pytest
from markupsafe import Markup

from app.core.timeutil import utcnow
from tests.conftest import login

EN = {"Accept-Language": "en-US,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
ODD = ("补贴 50% 以上", "%(x)s 与 %d 方案")


@pytest.fixture()
def place(make, db):
    community = make.community()
    staff = make.user(community, name="工作人员", roles=("staff", "admin"))
    resident = make.user(community, name="居民甲")
    return community, staff, resident


@pytest.mark.parametrize("headers", [EN, ZH])
def test_a_percent_in_a_category_is_text(app, client, db, place, headers):
    from app.proposals import drafts, operations

    community, staff, resident = place
    operations.update_settings(staff, community, cosign_threshold=5, window_days=14, review_days=7,
                               reply_days=30, rehandle_days=15, categories=list(ODD) + ["其他"])
    db.session.commit()
    proposal = drafts.create_draft(resident, community, title="三号楼楼道灯不亮", category=ODD[0],
                                   problem="三号楼二单元楼道灯坏了一个多月，晚上很黑", suggestion="请物业尽快修好", place="3 号楼")
    db.session.commit()
    operations.publish(resident, proposal)
    db.session.commit()
    login(client, resident)
    for path in (f"/c/{community.id}/proposals/", f"/c/{community.id}/proposals/{proposal.id}",
                 f"/c/{community.id}/proposals/new", "/notice/", f"/notice/proposal/{proposal.id}"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert Markup.escape(ODD[0]) in page
    shown = client.get(f"/c/{community.id}/proposals/{proposal.id}", headers=headers).get_data(as_text=True)
    assert f'<bdi data-uc="">{ODD[0]}</bdi>' in shown


@pytest.mark.parametrize("headers", [EN, ZH])
def test_a_percent_in_a_consultation_option_is_text(app, client, db, place, headers):
    from app.votes import consultations

    community, staff, resident = place
    now = utcnow()
    item = consultations.create_consultation(staff, community, title="广场用途", description="请选择",
                                             labels=list(ODD), up_to=1, start_dt=now - timedelta(hours=1),
                                             end_dt=now + timedelta(days=3))
    db.session.commit()
    login(client, resident)
    path = f"/c/{community.id}/consultations/{item.id}"
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for label in ODD:
        assert f'<bdi data-uc="">{Markup.escape(label)}</bdi>' in page
    client.post(path, data={"choice": "0"}, headers=headers)
    answered = client.get(path, headers=headers)
    assert answered.status_code == 200 and 'id="my-answer"' in answered.get_data(as_text=True)


def test_the_t_filter_translates_a_variable_without_formatting(app):
    from app.core.locale import translated

    with app.test_request_context(headers=EN):
        assert translated(None) == ""
        assert translated("已结束") != "已结束"           # a msgid: in English
        assert translated("50% 的人") == "50% 的人"       # not a msgid: as it was, no %-formatting
        assert translated("%(x)s") == "%(x)s"
