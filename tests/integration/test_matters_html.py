"""The matter pages: drafting, scheduling, the public notice with its trail, objections with the
overdue flag, reports with photos, settings."""
import re
from datetime import timedelta

import pytest
from flask import g
from flask.testing import FlaskClient

from app.matters import operations as matters
from app.matters import decisions
from app.matters.models import Matter, MatterAttachment
from app.matters.workflow import MatterStage as S
from tests.conftest import login
from tests.integration.test_matters_flow import (  # noqa: F401
    World, background_settled, to_resolution_public,
)

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
       b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa75\x81\x84\x00\x00\x00"
       b"\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture()
def world(make, db):
    return World(make, db)


class Client(FlaskClient):
    """A test client per person: requests share the test's app context, so forget who logged in."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def anonymous(app):
    return Client(app, app.response_class, use_cookies=True)


def as_user(app, user):
    client = anonymous(app)
    login(client, user)
    return client


def text(response):
    return response.get_data(as_text=True)


def test_staff_draft_a_matter_with_a_file_and_see_its_seven_stages(app, world, db):
    staff = as_user(app, world.staff)
    page = staff.get(f"/c/{world.c.id}/matters/new")
    assert page.status_code == 200 and "公共资金使用" in text(page)
    bad = staff.post(f"/c/{world.c.id}/matters/new", data={"title": "花园改造", "kind": "工程建设与修缮",
                                                          "plan": "更换健身器材，铺设透水砖。", "budget": "abc"})
    assert bad.status_code == 422 and "金额格式不正确" in text(bad)
    from io import BytesIO

    response = staff.post(f"/c/{world.c.id}/matters/new", data={
        "title": "中心花园改造", "kind": "工程建设与修缮", "plan": "**更换**健身器材，铺设透水砖。",
        "budget": "86,000.5", "files": (BytesIO(PDF), "预算表.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    matter = Matter.query.one()
    assert matter.budget_fen == 8_600_050 and len(matter.plan_attachments) == 1
    page = text(staff.get(response.headers["Location"]))
    assert "86,000.50 元" in page and "<strong>更换</strong>" in page and "预算表.pdf" in page
    assert page.count('class="trail-stage') == 7
    assert 'id="stage-proposal" aria-current="step"' in page
    assert "安排党支部委员会会议" in page          # no meeting yet: a link to create one
    # Pages carry no inline script or style (the CSP forbids them).
    assert not re.search(r"<script(?![^>]*src=)", page) and " style=" not in page
    resident = as_user(app, world.resident)
    assert resident.get(f"/c/{world.c.id}/matters/new").status_code == 403
    assert resident.get(f"/c/{world.c.id}/matters/{matter.id}").status_code == 404


def test_schedule_from_the_page(app, world, db):
    matter = world.matter()
    meeting = world.meeting("party_branch_committee")
    wrong = world.meeting("representatives_assembly")
    db.session.commit()
    staff = as_user(app, world.staff)
    page = text(staff.get(f"/c/{world.c.id}/matters/{matter.id}"))
    assert f'value="{meeting.id}"' in page and f'value="{wrong.id}"' not in page
    refused = staff.post(f"/c/{world.c.id}/matters/{matter.id}/schedule", data={"meeting_id": wrong.id})
    assert refused.status_code == 422 and "党支部委员会" in text(refused)
    done = staff.post(f"/c/{world.c.id}/matters/{matter.id}/schedule", data={"meeting_id": meeting.id})
    assert done.status_code == 302
    assert [i.matter_id for i in meeting.items] == [matter.id]


def test_anonymous_read_the_resolution_notice_with_its_trail(app, world, db):
    client = anonymous(app)
    matter = to_resolution_public(world, world.matter())
    page = client.get(f"/c/{world.c.id}/matters/{matter.id}")
    assert page.status_code == 200
    body = text(page)
    assert "决议公告" in body and "公示期 7 天" in body
    for label in ["党支部会提议", "两委会商议", "党员大会审议", "居民代表会议（或居民会议）决议", "决议公开"]:
        assert label in body
    assert body.count("已完成") >= 4 and "应到 4 人，实到 4 人" in body
    # The publication stage says who acts there, not a dash.
    assert "——" not in body and "未解决的异议提交党员大会审议" in body
    assert 'id="manage"' not in body and "登录" in body
    minutes = re.findall(r'href="(/c/\d+/matters/\d+/minutes/\d+)"', body)
    assert len(minutes) == 4
    assert "会议纪要" in text(client.get(minutes[-1]))
    assert re.search(r"<h3>[^<]*会议纪要：", text(client.get(minutes[-1])))   # its headings kept
    assert client.get(f"/c/{world.c.id}/matters/{matter.id}/minutes/999999").status_code == 404
    listed = text(client.get(f"/c/{world.c.id}/matters/"))
    assert matter.title in listed
    unpublished = world.matter(title="还在商议的事项")
    assert unpublished.title not in text(client.get(f"/c/{world.c.id}/matters/"))
    assert client.get(f"/c/{world.c.id}/matters/{unpublished.id}").status_code == 404
    assert client.get(f"/c/{world.c.id + 99}/matters/{matter.id}").status_code == 404


def test_objections_answers_and_the_overdue_flag_on_the_page(app, world, db):
    matter = to_resolution_public(world, world.matter())
    resident = as_user(app, world.resident)
    url = f"/c/{world.c.id}/matters/{matter.id}"
    assert "我对决议有异议" in text(resident.get(url))
    assert resident.post(url + "/objections", data={"text": "短"}).status_code == 422
    assert resident.post(url + "/objections", data={"text": "座椅离窗户太近，晚上吵。"}).status_code == 302
    objection = matter.objections[0]
    # Four days later without an answer it is flagged for everyone.
    objection.created_dt -= timedelta(days=4)
    db.session.commit()
    staff = as_user(app, world.staff)
    page = text(staff.get(url))
    assert "逾期未答复" in page and "王居民" in page
    assert "本社区居民" in text(anonymous(app).get(url))   # the public does not see the name
    answer = url + f"/objections/{objection.id}/answer"
    assert resident.post(answer, data={"text": "我自己答复。"}).status_code == 403
    assert staff.post(url + f"/objections/{objection.id}/answer",
                      data={"text": "座椅移到花园中央。"}).status_code == 302
    page = text(resident.get(url))
    assert "逾期答复" in page and "接受答复" in page
    assert resident.post(url + f"/objections/{objection.id}/accept").status_code == 302
    assert "已解决（异议人接受答复）" in text(resident.get(url))
    refused = staff.post(url + "/start")
    assert refused.status_code == 409 and "公示期尚未结束" in text(refused)


def test_reports_with_photos_are_public_and_followers_hear(app, world, db):
    from io import BytesIO

    from app.core.notify import Notification

    matter = to_resolution_public(world, world.matter())
    decisions.start_implementation(world.staff, matter, now=matter.resolution_published_dt + timedelta(days=7))
    db.session.commit()
    resident = as_user(app, world.resident)
    url = f"/c/{world.c.id}/matters/{matter.id}"
    assert resident.post(url + "/follow").status_code == 302
    staff = as_user(app, world.staff)
    refused = staff.post(url + "/reports", data={"text": "进行中。。", "percent_done": "30",
                                                 "photos": (BytesIO(PDF), "a.pdf")},
                         content_type="multipart/form-data")
    assert refused.status_code == 422 and "不是照片" in text(refused)
    done = staff.post(url + "/reports", data={"text": "地面已铺好一半。", "percent_done": "50", "spent": "30000",
                                              "photos": (BytesIO(PNG), "现场.png")},
                      content_type="multipart/form-data")
    assert done.status_code == 302
    public = anonymous(app)
    page = text(public.get(url))
    assert "地面已铺好一半" in page and "30,000.00 元" in page and "50%" in page
    photo = MatterAttachment.query.filter(MatterAttachment.report_id.isnot(None)).one()
    image = public.get(url + f"/files/{photo.id}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert any("完成 50%" in n.text for n in Notification.query.filter_by(user_id=world.resident.id))


def test_settings_keep_seven_days_at_least(app, world, db):
    staff = as_user(app, world.staff)
    url = f"/c/{world.c.id}/matters/settings"
    assert staff.get(url).status_code == 200
    assert staff.post(url, data={"kinds": "公共资金使用", "objection_days": "6"}).status_code == 422
    assert staff.post(url, data={"kinds": "公共资金使用\n加装电梯", "objection_days": "10"}).status_code == 302
    assert "加装电梯" in text(staff.get(f"/c/{world.c.id}/matters/new"))
    assert as_user(app, world.resident).get(url).status_code == 403


def test_an_escalated_proposal_leads_to_its_matter(app, world, db):
    from app.proposals import operations as proposals
    from app.proposals import drafts

    p = drafts.create_draft(world.resident, world.c, title="小区路面破损严重", category="设施维修",
                               problem="东门到3号楼的路面坑洼，老人经常绊倒。", suggestion="整体翻修路面。")
    proposals.publish(world.resident, p)
    proposals.take_to_review(world.staff, p)
    db.session.commit()
    staff = as_user(app, world.staff)
    assert staff.post(f"/c/{world.c.id}/proposals/{p.id}/act/escalate",
                      data={"reason": "涉及公共维修资金"}).status_code == 302
    matter = Matter.query.filter_by(proposal_id=p.id).one()
    page = text(as_user(app, world.resident).get(f"/c/{world.c.id}/matters/{matter.id}"))
    assert "由居民提案转来" in page and "老人经常绊倒" in page
    # Opening it again by hand leads to the same matter.
    again = staff.post(f"/c/{world.c.id}/matters/from-proposal/{p.id}")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/matters/{matter.id}")
    with app.test_request_context():
        from flask import render_template_string

        assert render_template_string("{{ matter_for_proposal(pid).id }}", pid=p.id) == str(matter.id)


def test_the_plan_is_locked_on_the_page_after_stage_two(app, world, db):
    matter = world.matter()
    world.decide(matter, "party_branch_committee")
    world.decide(matter, "two_committees")
    assert matter.stage is S.review
    staff = as_user(app, world.staff)
    response = staff.get(f"/c/{world.c.id}/matters/{matter.id}/edit")
    assert response.status_code == 302
    assert "修改方案" not in text(staff.get(f"/c/{world.c.id}/matters/{matter.id}")).split('id="trail"')[0]


def test_the_result_notice_once_the_supervisory_committee_confirms(app, world, db):
    matter = to_resolution_public(world, world.matter())
    decisions.start_implementation(world.staff, matter, now=matter.resolution_published_dt + timedelta(days=7))
    matters.add_report(world.staff, matter, text="全部完工并通过验收。", percent_done=100, spent_fen=8_350_000)
    db.session.commit()
    staff_page = text(as_user(app, world.staff).get(f"/c/{world.c.id}/matters/{matter.id}"))
    assert "居务监督委员会" in staff_page and "确认实施结果" in staff_page
    world.decide(matter, "supervisory_committee")
    assert matter.stage is S.result_public
    page = text(anonymous(app).get(f"/c/{world.c.id}/matters/{matter.id}"))
    assert "实施结果公告" in page and "83,500.00 元" in page and "100%" in page
    assert page.count("trail-stage state-done") == 7
    assert re.search(r'id="stage-result_public".*?居务监督委员会', page, re.S)
