"""Residents' proposals through the HTML pages: the whole loop, and every refusal with a message."""
import re
from datetime import timedelta

import pytest
from flask import g
from flask.testing import FlaskClient

from app.core.audit import AuditEvent
from app.core.notify import Notification
from app.proposals.models import Proposal, ProposalSettings
from tests.conftest import login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%...\n"


class World:
    pass


@pytest.fixture()
def world(make, db):
    from app.community.models import HandlerKind, HandlerMember, HandlerOrg

    w = World()
    w.c = make.community("阳光社区")
    w.author = make.user(w.c, name="张阿姨")
    w.neighbours = [make.user(w.c, name=f"邻居{i}", room=f"20{i}") for i in range(5)]
    w.staff = make.user(w.c, name="王书记", roles=["staff"])
    w.admin = make.user(w.c, name="李管理员", roles=["admin"])
    w.unverified = make.user(w.c, name="新住户", verified=False)
    w.other_c = make.community("月亮社区")
    w.outsider = make.user(w.other_c, name="外人")
    w.org = HandlerOrg(street=w.c.street, community=w.c, kind=HandlerKind.PROPERTY, name="阳光物业")
    w.handler = make.user(None, name="物业小陈")
    db.session.add(w.org)
    db.session.add(HandlerMember(org=w.org, user=w.handler))
    w.other_org = HandlerOrg(street=w.c.street, community=w.other_c, kind=HandlerKind.PROPERTY,
                             name="月亮物业")
    db.session.add(w.other_org)
    db.session.commit()
    return w


class Client(FlaskClient):
    """A test client per person: requests share the test's app context, so forget who logged in."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def as_user(app, user):
    client = Client(app, app.response_class, use_cookies=True)
    login(client, user)
    return client


def anonymous(app):
    return Client(app, app.response_class, use_cookies=True)


def text(response):
    return response.get_data(as_text=True)


def write(client, w, title="3号楼楼下停车难，建议划线", **extra):
    data = {"title": title, "category": "停车交通",
            "problem": "每天晚上3号楼楼下停满了车，消防通道被堵。", "suggestion": "重新划线并设置禁停标志。",
            "place": "3号楼东侧"} | extra
    response = client.post(f"/c/{w.c.id}/proposals/new", data=data)
    assert response.status_code == 302, text(response)[:2000]
    return Proposal.query.order_by(Proposal.id.desc()).first()


def act(client, p, action, **data):
    return client.post(f"/c/{p.community_id}/proposals/{p.id}/act/{action}", data=data)


def page(client, p):
    response = client.get(f"/c/{p.community_id}/proposals/{p.id}")
    assert response.status_code == 200
    return text(response)


def test_the_whole_loop_through_the_pages(app, world, db):
    w = world
    author = as_user(app, w.author)
    p = write(author, w)
    draft = page(author, p)
    assert "草稿" in draft and "发布提案" in draft
    assert act(author, p, "publish").status_code == 302
    shown = page(author, p)
    assert "征集附议中" in shown and "附议截止" in shown and "还剩 13 天" in shown

    for i, neighbour in enumerate(w.neighbours):
        client = as_user(app, neighbour)
        response = act(client, p, "cosign")
        assert response.status_code == 302, re.findall(r'action-error">(.*?)<', text(response))
        if i < 4:
            assert f"已有 {i + 1} 人附议" in page(client, p)
    db.session.refresh(p)
    assert p.state == "under_review" and p.review_started_dt is not None
    # Staff were told it is waiting for them.
    assert Notification.query.filter_by(user_id=w.staff.id).count() == 1

    staff = as_user(app, w.staff)
    review = page(staff, p)
    assert "审查中" in review and "审查期限" in review and "立案" in review
    assert act(staff, p, "accept").status_code == 302
    assert act(staff, p, "assign", org_id=str(w.org.id)).status_code == 302
    db.session.refresh(p)
    assert p.state == "assigned" and p.handler_org_id == w.org.id
    assert p.reply_due_dt - p.assigned_dt == timedelta(days=30)

    handler = as_user(app, w.handler)
    queue = text(handler.get("/proposals/handling"))
    assert p.title in queue and "答复期限" in queue
    assert act(handler, p, "answer", category="B", body="已联系物业重新划线，下月完成。").status_code == 302
    assert act(author, p, "rate", rating="unsatisfied").status_code == 302
    db.session.refresh(p)
    assert p.state == "assigned" and p.rehandle_count == 1
    assert p.reply_due_dt - p.assigned_dt == timedelta(days=15)
    assert "重新办理中" in page(author, p)

    assert act(handler, p, "answer", category="A", body="已完成划线，并安装了禁停标志。").status_code == 302
    assert act(author, p, "rate", rating="satisfied").status_code == 302
    db.session.refresh(p)
    assert p.state == "closed"

    # The public page (no login) shows the whole trail.
    public = text(anonymous(app).get(f"/c/{w.c.id}/proposals/{p.id}"))
    for words in ("已办结", "第 1 次答复", "第 2 次答复", "不满意", "满意", "办理过程", "立案", "交办",
                  "附议人数达到 5 人，转入审查", "提案人评价不满意，重新办理"):
        assert words in public, words
    assert "发表评论" not in public and "act/" not in public
    # Every transition is one audited event with who, from and to.
    events = AuditEvent.query.filter_by(object_type="proposals", object_id=p.id,
                                        action="proposal.rate").order_by(AuditEvent.id).all()
    assert [(e.from_state, e.to_state) for e in events] == [("answered", "assigned"),
                                                           ("answered", "closed")]
    assert all(e.actor_id == w.author.id for e in events)
    # The author heard of every step.
    texts = [n.text for n in Notification.query.filter_by(user_id=w.author.id)]
    assert any("转入审查" in t for t in texts) and any("已交办" in t for t in texts)
    assert sum("已答复" in t for t in texts) == 2
    # The handler hears the rating; the author is not told of what they did themselves.
    handler_texts = [n.text for n in Notification.query.filter_by(user_id=w.handler.id)]
    assert any("不满意" in t and "重新办理" in t for t in handler_texts)
    assert any("办结" in t for t in handler_texts) and not any("办结" in t for t in texts)
    # A co-signer hears too.
    assert Notification.query.filter_by(user_id=w.neighbours[0].id).count() >= 5


def test_refusals_say_why_and_keep_what_was_typed(app, world, db):
    w = world
    author = as_user(app, w.author)
    # A form with errors comes back with the typed text.
    bad = author.post(f"/c/{w.c.id}/proposals/new", data={
        "title": "停车", "category": "停车交通", "problem": "太短", "suggestion": "划线划线划线"})
    assert bad.status_code == 422
    body = text(bad)
    assert "标题 4 到 120 个字" in body and "划线划线划线" in body
    p = write(author, w)
    act(author, p, "publish")

    assert "提案人不能为自己的提案附议" in text(act(author, p, "cosign"))
    assert act(author, p, "cosign").status_code == 403
    unverified = as_user(app, w.unverified)
    refused = act(unverified, p, "cosign")
    assert refused.status_code == 403 and "请先完成居民身份认证" in text(refused)
    n = as_user(app, w.neighbours[0])
    act(n, p, "cosign")
    again = act(n, p, "cosign")
    assert again.status_code == 409 and "您已经附议过这项提案" in text(again)
    # Staff decline without a ground or explanation: told, and the typed explanation stays.
    staff = as_user(app, w.staff)
    act(staff, p, "take_to_review")
    no_ground = act(staff, p, "decline", reason="请向物业反映。")
    assert no_ground.status_code == 422 and "请选择不予立案的理由" in text(no_ground)
    assert "请向物业反映。" in text(no_ground)
    no_reason = act(staff, p, "decline", ground="personal_matter")
    assert no_reason.status_code == 422 and "写明说明" in text(no_reason)
    resident_accepts = act(n, p, "accept")
    assert resident_accepts.status_code == 403 and "只有两委成员或社区工作人员可以立案" in text(resident_accepts)
    # Another community's people get a 404, never a 403.
    outsider = as_user(app, w.outsider)
    assert act(outsider, p, "accept").status_code == 404
    assert outsider.get(f"/c/{w.c.id}/proposals/").status_code == 404
    # Wrong state is a 409 with the state named.
    wrong = act(author, p, "rate", rating="satisfied")
    assert wrong.status_code == 409 and "审查中" in text(wrong)
    # Assigning to an organisation that does not serve this community is refused.
    act(staff, p, "accept")
    foreign = act(staff, p, "assign", org_id=str(w.other_org.id))
    assert foreign.status_code == 422 and "为本社区服务的承办单位" in text(foreign)
    act(staff, p, "assign", org_id=str(w.org.id), days="10")
    handler = as_user(app, w.handler)
    no_reason_extend = act(handler, p, "extend", days="5")
    assert no_reason_extend.status_code == 422 and "申请延期须说明理由" in text(no_reason_extend)
    assert act(handler, p, "extend", days="5", reason="材料未到").status_code == 302
    twice = act(handler, p, "extend", days="5", reason="又没到")
    assert twice.status_code == 409 and "只能延长一次" in text(twice)
    c_without_reason = act(handler, p, "answer", category="C", body="经费不足，暂时不能解决。")
    assert c_without_reason.status_code == 422 and "须说明原因" in text(c_without_reason)
    # Nothing of the refusals changed the proposal.
    db.session.refresh(p)
    assert p.state == "assigned" and p.is_extended and p.reply_due_dt - p.assigned_dt == timedelta(days=15)


def test_drafts_are_private_and_editable_until_published(app, world, db):
    w = world
    author = as_user(app, w.author)
    p = write(author, w)
    assert as_user(app, w.neighbours[0]).get(f"/c/{w.c.id}/proposals/{p.id}").status_code == 404
    assert anonymous(app).get(f"/c/{w.c.id}/proposals/{p.id}").status_code == 404
    assert author.post(f"/c/{w.c.id}/proposals/{p.id}/edit", data={
        "title": "3号楼停车难", "category": "停车交通", "problem": "每天晚上3号楼楼下停满了车。",
        "suggestion": "重新划线。"}).status_code == 302
    db.session.refresh(p)
    assert p.title == "3号楼停车难"
    # An unverified author may draft but not publish.
    newcomer = as_user(app, w.unverified)
    draft = write(newcomer, w, title="新住户的提案：路灯坏了")
    refused = act(newcomer, draft, "publish")
    assert refused.status_code == 403 and "请先完成居民身份认证" in text(refused)
    act(author, p, "publish")
    edit = author.get(f"/c/{w.c.id}/proposals/{p.id}/edit")
    assert edit.status_code == 403 and "发布后不能再修改" in text(edit)
    # The list hides drafts from others; "mine" shows them to their author.
    listing = text(as_user(app, w.neighbours[1]).get(f"/c/{w.c.id}/proposals/"))
    assert "3号楼停车难" in listing and "路灯坏了" not in listing
    assert "路灯坏了" in text(newcomer.get(f"/c/{w.c.id}/proposals/?mine=1"))


def test_an_unverified_author_is_told_why_the_draft_cannot_be_published(app, world, db):
    from app.auth.models import UserState

    w = world
    newcomer = as_user(app, w.unverified)
    draft = write(newcomer, w, title="新住户的提案：路灯坏了")
    shown = page(newcomer, draft)
    assert 'id="publish-blocked" data-user-state="pending"' in shown and "/act/publish" not in shown
    assert "/auth/me" in shown                       # where to see the account's state
    w.unverified.state = UserState.REJECTED
    db.session.commit()
    assert 'data-user-state="rejected"' in page(newcomer, draft)
    # A verified author sees the button and no such note.
    author = as_user(app, w.author)
    own = page(author, write(author, w))
    assert "publish-blocked" not in own and "/act/publish" in own


def test_expiry_is_derived_from_time_and_filters_use_it(app, world, db):
    w = world
    author = as_user(app, w.author)
    old = write(author, w, title="旧提案：小区绿化带杂草多")
    fresh = write(author, w, title="新提案：加装电梯")
    act(author, old, "publish")
    act(author, fresh, "publish")
    old.published_dt -= timedelta(days=14)
    db.session.commit()
    resident = as_user(app, w.neighbours[0])
    collecting = text(resident.get(f"/c/{w.c.id}/proposals/?state=collecting"))
    assert f'id="proposal-{fresh.id}"' in collecting and f'id="proposal-{old.id}"' not in collecting
    expired = text(resident.get(f"/c/{w.c.id}/proposals/?state=expired"))
    assert f'id="proposal-{old.id}"' in expired and f'id="proposal-{fresh.id}"' not in expired
    late = act(resident, old, "cosign")
    assert late.status_code == 409 and "附议期已结束" in text(late)
    # Whoever opens it first writes the expiry down; the author hears of it.
    assert "已过期" in page(resident, old)
    db.session.expire_all()
    assert db.session.get(Proposal, old.id).state == "expired"
    assert any("已过期" in n.text for n in Notification.query.filter_by(user_id=w.author.id))
    assert "附议期满" in page(resident, old)  # in the trail
    # The optional CLI writes down the ones nobody opened.
    fresh.published_dt -= timedelta(days=15)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["proposals", "expire"])
    assert "1 proposals expired" in result.output
    db.session.expire_all()
    assert db.session.get(Proposal, fresh.id).state == "expired"


def test_search_and_filters(app, world, db):
    w = world
    author = as_user(app, w.author)
    for title in ("加装电梯的建议", "停车位不够用", "楼道灯不亮"):
        act(author, write(author, w, title=title), "publish")
    resident = as_user(app, w.neighbours[0])
    found = text(resident.get(f"/c/{w.c.id}/proposals/?q=电梯"))
    assert "加装电梯的建议" in found and "停车位不够用" not in found and "共 1 项" in found
    none = text(resident.get(f"/c/{w.c.id}/proposals/?q=垃圾分类"))
    assert "没有符合条件的提案" in none
    # Words in any order, a lone character, and the problem text are all found.
    assert "加装电梯的建议" in text(resident.get(f"/c/{w.c.id}/proposals/?q=电梯 加装"))
    assert "楼道灯不亮" in text(resident.get(f"/c/{w.c.id}/proposals/?q=灯"))
    assert "共 3 项" in text(resident.get(f"/c/{w.c.id}/proposals/?q=消防通道"))
    assert "共 0 项" in text(resident.get(f"/c/{w.c.id}/proposals/?q=电梯 停车位"))
    # An edited draft is found by its new words only.
    draft = write(author, w, title="关于健身器材损坏")
    author.post(f"/c/{w.c.id}/proposals/{draft.id}/edit", data={
        "title": "关于儿童滑梯损坏", "category": "设施维修", "problem": "滑梯的扶手断了，孩子容易受伤。",
        "suggestion": "尽快修理。"})
    mine = text(author.get(f"/c/{w.c.id}/proposals/?mine=1&q=滑梯"))
    assert "儿童滑梯" in mine
    assert "共 0 项" in text(author.get(f"/c/{w.c.id}/proposals/?mine=1&q=健身"))
    by_category = text(resident.get(f"/c/{w.c.id}/proposals/?category=绿化"))
    assert "共 0 项" in by_category


def test_search_pages_within_and_beyond_the_count_cap(app, world, db, monkeypatch):
    from app.proposals import queries

    w = world
    author = as_user(app, w.author)
    made = [write(author, w, title=f"停车位不够用（{i}）") for i in range(7)]
    for proposal in made:
        act(author, proposal, "publish")
    newest_first = [p.id for p in reversed(made)]
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 3)

    def page(n):
        return queries.list_proposals(db.session.get(type(w.c), w.c.id), w.neighbours[0],
                                         q="停车", page=n, per_page=2)

    first = page(1)
    assert (first.total, first.is_capped) == (3, True)      # "3 or more", counted no further
    assert [p.id for p in first.items] == newest_first[:2]
    assert [p.id for p in page(2).items] == newest_first[2:4]  # read with the count
    assert [p.id for p in page(4).items] == newest_first[6:]   # beyond it: its own query
    monkeypatch.setattr(queries, "SEARCH_COUNT_CAP", 1000)
    everything = page(1)
    assert (everything.total, everything.is_capped) == (7, False)


def test_similar_proposals_while_typing_and_without_js(app, world, db):
    w = world
    author = as_user(app, w.author)
    act(author, write(author, w, title="小区停车难，车位不足"), "publish")
    act(author, write(author, w, title="加装电梯"), "publish")
    resident = as_user(app, w.neighbours[0])
    items = resident.get(f"/c/{w.c.id}/proposals/similar?q=停车位太少").get_json()["items"]
    assert [i["title"] for i in items] == ["小区停车难，车位不足"]
    assert items[0]["url"].startswith(f"/c/{w.c.id}/proposals/")
    # Without JavaScript: the saved draft shows the similar ones.
    draft = write(resident, w, title="停车位太少")
    assert "已有相似的提案" in page(resident, draft) and "小区停车难，车位不足" in page(resident, draft)
    assert as_user(app, w.outsider).get(f"/c/{w.c.id}/proposals/similar?q=停车").status_code == 404


def test_the_similar_hint_offers_to_cosign_only_what_still_collects(app, world, db):
    w = world
    author, staff = as_user(app, w.author), as_user(app, w.staff)
    collecting = write(author, w, title="小区停车难，车位不足")
    act(author, collecting, "publish")
    closed = write(author, w, title="小区停车难，晚上没有车位")
    act(author, closed, "publish")
    for action, data in (("take_to_review", {}), ("accept", {}), ("assign", {"org_id": str(w.org.id)})):
        act(staff, closed, action, **data)
    act(as_user(app, w.handler), closed, "answer", category="A", body="已重新划线。")
    act(author, closed, "rate", rating="satisfied")
    merged = write(author, w, title="停车难：车位不足怎么办")
    act(author, merged, "publish")
    act(staff, merged, "take_to_review")
    assert act(staff, merged, "merge", target_id=str(collecting.id)).status_code == 302
    db.session.refresh(closed)
    assert closed.state == "closed"

    resident = as_user(app, w.neighbours[0])
    items = {i["id"]: i for i in resident.get(
        f"/c/{w.c.id}/proposals/similar?q=停车难车位不足").get_json()["items"]}
    assert set(items) == {collecting.id, closed.id, merged.id}
    assert [i for i in items if items[i]["can_cosign"]] == [collecting.id]
    assert items[closed.id]["url"].endswith(f"/proposals/{closed.id}#replies")
    assert items[merged.id]["url"].endswith(f"/proposals/{collecting.id}")   # where its answer comes
    # Without JavaScript, on the saved draft: the same split.
    draft = write(resident, w, title="停车难车位不足")
    shown = page(resident, draft)
    assert f'data-similar-id="{collecting.id}" data-can-cosign="1"' in shown
    assert f'data-similar-id="{closed.id}" data-can-cosign="0"' in shown
    assert f'data-similar-id="{merged.id}" data-can-cosign="0"' in shown
    # The merge list offers the one still collecting, never the closed one, and refuses it.
    later = write(author, w, title="车位不足")
    act(author, later, "publish")
    act(staff, later, "take_to_review")
    form = page(staff, later)
    options = re.findall(r'<option value="(\d+)"', form.split('id="merge-target"')[1].split("</select>")[0])
    assert str(collecting.id) in options and str(closed.id) not in options and str(merged.id) not in options
    refused = act(staff, later, "merge", target_id=str(closed.id))
    assert refused.status_code == 422 and "不能并入" in text(refused)


def test_attachments_checked_by_content_and_served_with_permission(app, world, db):
    w = world
    author = as_user(app, w.author)
    from io import BytesIO

    def post(files):
        return author.post(f"/c/{w.c.id}/proposals/new", data={
            "title": "井盖松动很危险", "category": "设施维修", "problem": "5号楼前的井盖松动，老人容易绊倒。",
            "suggestion": "尽快更换井盖。", "files": files}, content_type="multipart/form-data")

    fake = post([(BytesIO(b"<script>alert(1)</script>"), "photo.png")])
    assert fake.status_code == 422 and "不是图片" in text(fake)
    assert "5号楼前的井盖松动" in text(fake)  # what was typed is kept
    ok = post([(BytesIO(PNG), "井盖.png"), (BytesIO(PDF), "说明.pdf")])
    assert ok.status_code == 302
    p = Proposal.query.order_by(Proposal.id.desc()).first()
    png, pdf = p.attachments
    assert png.content_type == "image/png" and pdf.content_type == "application/pdf"
    url = f"/c/{w.c.id}/proposals/{p.id}/files/{png.id}"
    # A draft's files are the author's alone.
    assert as_user(app, w.neighbours[0]).get(url).status_code == 404
    served = author.get(url)
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "inline" in served.headers["Content-Disposition"]
    pdf_resp = author.get(f"/c/{w.c.id}/proposals/{p.id}/files/{pdf.id}")
    assert "attachment" in pdf_resp.headers["Content-Disposition"]
    act(author, p, "publish")
    assert anonymous(app).get(url).status_code == 200
    # The file is stored under a random name, not the uploader's.
    assert not png.stored_name.startswith("井盖")


def test_comments_markdown_sanitised_and_hidden_with_reason(app, world, db):
    w = world
    author = as_user(app, w.author)
    p = write(author, w)
    act(author, p, "publish")
    n = as_user(app, w.neighbours[0])
    response = n.post(f"/c/{w.c.id}/proposals/{p.id}/comments",
                      data={"body": "**支持**<script>alert(1)</script>"})
    assert response.status_code == 302
    shown = page(n, p)
    assert "<strong>支持</strong>" in shown and "<script>alert" not in shown
    comment_id = re.search(r'id="comment-(\d+)"', shown).group(1)
    # Residents cannot hide; staff can, with a reason.
    assert n.post(f"/c/{w.c.id}/proposals/{p.id}/comments/{comment_id}/hide",
                  data={"reason": "x"}).status_code == 403
    staff = as_user(app, w.staff)
    assert staff.post(f"/c/{w.c.id}/proposals/{p.id}/comments/{comment_id}/hide",
                      data={"reason": ""}).status_code == 422
    assert staff.post(f"/c/{w.c.id}/proposals/{p.id}/comments/{comment_id}/hide",
                      data={"reason": "与提案无关"}).status_code == 302
    shown = page(n, p)
    assert "<strong>支持</strong>" not in shown and "与提案无关" in shown
    assert AuditEvent.query.filter_by(action="proposal.hide_comment").one().reason == "与提案无关"


def test_follow_and_merge(app, world, db):
    w = world
    author = as_user(app, w.author)
    first = write(author, w, title="加装电梯一")
    act(author, first, "publish")
    second_author = as_user(app, w.neighbours[0])
    second = write(second_author, w, title="加装电梯二")
    act(second_author, second, "publish")
    cosigner = as_user(app, w.neighbours[1])
    act(cosigner, second, "cosign")
    follower = as_user(app, w.neighbours[2])
    assert follower.post(f"/c/{w.c.id}/proposals/{first.id}/follow").status_code == 302
    assert "取消关注" in page(follower, first)
    staff = as_user(app, w.staff)
    act(staff, second, "take_to_review")
    later = act(staff, second, "merge", target_id=str(second.id + 1))
    assert later.status_code == 422
    assert act(staff, second, "merge", target_id=str(first.id), reason="同一部电梯").status_code == 302
    assert "已并入提案" in page(cosigner, second)
    # The merged one's author and co-signer now hear of the target's reply.
    act(staff, first, "take_to_review")
    act(staff, first, "accept")
    act(staff, first, "assign", org_id=str(w.org.id))
    act(as_user(app, w.handler), first, "answer", category="B", body="已列入明年改造计划。")
    for user in (w.neighbours[0], w.neighbours[1], w.neighbours[2], w.author):
        texts = [n.text for n in Notification.query.filter_by(user_id=user.id)]
        assert any("加装电梯一" in t and "已答复" in t for t in texts), user.name


def test_return_escalate_and_queues(app, world, db, make):
    from app.proposals.signals import proposal_escalated

    w = world
    author = as_user(app, w.author)
    p = write(author, w)
    act(author, p, "publish")
    staff = as_user(app, w.staff)
    act(staff, p, "take_to_review")
    act(staff, p, "accept")
    act(staff, p, "assign", org_id=str(w.org.id))
    handler = as_user(app, w.handler)
    assert act(handler, p, "return_assignment", reason="不属于物业职责").status_code == 302
    db.session.refresh(p)
    assert p.state == "accepted" and p.handler_org_id is None
    # Overdue once the review period has run out: flagged in the staff queue and street overview.
    p.review_started_dt -= timedelta(days=8)
    db.session.commit()
    queue = text(staff.get(f"/c/{w.c.id}/proposals/queue"))
    assert p.title in queue and "逾期" in queue and "交办期限" in queue
    overdue = text(staff.get(f"/c/{w.c.id}/proposals/?overdue=1"))
    assert p.title in overdue
    assert as_user(app, w.neighbours[0]).get(f"/c/{w.c.id}/proposals/queue").status_code == 403
    street_admin = as_user(app, make.user(None, name="街道", street_admin_of=w.c.street))
    overview = text(street_admin.get(f"/street/{w.c.street_id}/proposals"))
    assert p.title in overview and "逾期" in overview

    received = []

    def on_escalated(sender, **kw):
        received.append((sender, kw["reason"]))   # signals after commit carry ids

    proposal_escalated.connect(on_escalated)
    try:
        missing = act(staff, p, "escalate")
        assert missing.status_code == 422 and "须说明理由" in text(missing)
        assert act(staff, p, "escalate", reason="涉及公共维修资金").status_code == 302
    finally:
        proposal_escalated.disconnect(on_escalated)
    assert received == [(p.id, "涉及公共维修资金")]
    from app.proposals import operations

    operations.answer_from_matter(db.session.get(Proposal, p.id), body="居民代表会议决议：使用维修资金划线。",
                                  category="A")
    db.session.commit()
    assert "居民代表会议决议" in page(author, p)


def test_settings_are_per_community_and_admin_only(app, world, db):
    w = world
    staff = as_user(app, w.staff)
    assert staff.get(f"/c/{w.c.id}/proposals/settings").status_code == 403
    admin = as_user(app, w.admin)
    assert admin.get(f"/c/{w.c.id}/proposals/settings").status_code == 200
    bad = admin.post(f"/c/{w.c.id}/proposals/settings", data={
        "cosign_threshold": "0", "window_days": "7", "review_days": "5", "reply_days": "20",
        "rehandle_days": "10", "categories": "停车\n电梯"})
    assert bad.status_code == 422
    assert admin.post(f"/c/{w.c.id}/proposals/settings", data={
        "cosign_threshold": "2", "window_days": "7", "review_days": "5", "reply_days": "20",
        "rehandle_days": "10", "categories": "停车\n电梯"}).status_code == 302
    s = db.session.get(ProposalSettings, w.c.id)
    assert s.cosign_threshold == 2 and s.categories == ["停车", "电梯"]
    author = as_user(app, w.author)
    p = write(author, w, category="停车")
    act(author, p, "publish")
    assert "征集附议 7 天，需 2 人附议" in AuditEvent.query.filter_by(action="proposal.publish").one().data["note"]
    act(as_user(app, w.neighbours[0]), p, "cosign")
    act(as_user(app, w.neighbours[1]), p, "cosign")
    db.session.refresh(p)
    assert p.state == "under_review"
    # Another community keeps the defaults.
    assert ProposalSettings.for_community(w.other_c.id).cosign_threshold == 5


def test_mail_is_sent_when_smtp_is_configured(app, world, db, monkeypatch):
    from app.core.mail import wait_until_sent

    w = world
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.invalid")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://yishi.example.cn")
    w.author.email = "zhang@example.com"
    db.session.commit()
    author = as_user(app, w.author)
    p = write(author, w)
    act(author, p, "publish")
    act(as_user(app, w.neighbours[0]), p, "cosign")
    assert wait_until_sent()  # mail goes out from a worker, after the request has answered
    mail = [m for m in app.extensions["mailman"].outbox if m.to == ["zhang@example.com"]]
    assert any("附议了您的提案" in m.body for m in mail)
    assert f"https://yishi.example.cn/c/{w.c.id}/proposals/{p.id}" in mail[-1].body


def test_a_long_staff_queue_is_paged_soonest_due_first(app, world, db):
    from app.core.timeutil import utcnow

    w, now = world, utcnow()
    # Reviews started i days ago: the longest-waiting proposal is due soonest.
    db.session.add_all(Proposal(community_id=w.c.id, author_id=w.author.id, title=f"待审提案{i:02d}",
                                category="设施维修", problem="楼道灯坏了。", suggestion="尽快更换。", place="3号楼",
                                state="under_review", published_dt=now - timedelta(days=i + 1),
                                created_dt=now - timedelta(days=i + 1), review_started_dt=now - timedelta(days=i))
                       for i in range(55))
    db.session.commit()
    staff = as_user(app, w.staff)
    first, last = (text(staff.get(f"/c/{w.c.id}/proposals/queue?page={n}")) for n in (1, 3))
    assert first.count("待审提案") == 20 and last.count("待审提案") == 15
    assert "待审提案54" in first and "待审提案00" in last
    assert "55" in first.split('id="queue-summary"')[1].split("</p>")[0]
    assert 'rel="next"' in first and 'rel="prev"' in last and 'rel="next"' not in last


def test_the_staff_queue_orders_reviews_and_replies_by_one_due_date_across_pages(app, world, db):
    """Reviews run 7 days from their start, replies to their own date: the queue interleaves the
    two by the date each is due, page after page, accepted ones with the reviews."""
    from app.core.timeutil import utcnow

    w, now = world, utcnow()
    common = dict(community_id=w.c.id, author_id=w.author.id, category="设施维修", problem="楼道灯坏了。",
                  suggestion="尽快更换。", place="3号楼", published_dt=now - timedelta(days=60),
                  created_dt=now - timedelta(days=60))
    due = {}
    for i in range(24):   # due in 2i - 30 days (reviews) and 2i - 29 days (replies)
        review_due = now + timedelta(days=2 * i - 30)
        title = f"审{i:02d}"
        db.session.add(Proposal(title=title, state="accepted" if i % 3 == 0 else "under_review",
                                review_started_dt=review_due - timedelta(days=7), **common))
        due[title] = review_due
        title = f"答{i:02d}"
        db.session.add(Proposal(title=title, state="assigned", handler_org_id=w.org.id,
                                review_started_dt=now - timedelta(days=50), assigned_dt=now - timedelta(days=45),
                                reply_due_dt=review_due + timedelta(days=1), **common))
        due[title] = review_due + timedelta(days=1)
    db.session.commit()
    staff = as_user(app, w.staff)
    shown = []
    for n in (1, 2, 3):
        body = text(staff.get(f"/c/{w.c.id}/proposals/queue?page={n}"))
        shown.append(re.findall(r"[审答]\d\d", body.split('class="proposal-list"')[1].split("</ul>")[0]))
    assert [len(titles) for titles in shown] == [20, 20, 8]
    assert sum(shown, []) == sorted(due, key=due.get)


def test_the_street_overview_counts_every_overdue_and_lists_a_community_page_by_page(app, world, db, make):
    from app.core.timeutil import utcnow
    from app.proposals.queries import STREET_OVERDUE_SHOWN

    w, now = world, utcnow()
    # 23 reviews started 10+ days ago: past the 7-day review period, every one overdue.
    db.session.add_all(Proposal(community_id=w.c.id, author_id=w.author.id, title=f"逾期提案{i:02d}",
                                category="设施维修", problem="楼道灯坏了。", suggestion="尽快更换。", place="3号楼",
                                state="under_review", published_dt=now - timedelta(days=20),
                                created_dt=now - timedelta(days=20), review_started_dt=now - timedelta(days=10 + i))
                       for i in range(23))
    db.session.commit()
    admin = as_user(app, make.user(None, name="街道", street_admin_of=w.c.street))
    overview = text(admin.get(f"/street/{w.c.street_id}/proposals"))
    row = overview.split(f'id="street-row-{w.c.id}"')[1].split("</tr>")[0]
    assert 'data-overdue="23"' in row
    # The street's longest overdue, the longest first (review started 32 days ago: titled 22).
    longest = overview.split('id="street-longest-overdue"')[1].split("</ul>")[0]
    assert re.findall(r"逾期提案\d\d", longest) == [f"逾期提案{i:02d}" for i in range(22, 22 - STREET_OVERDUE_SHOWN, -1)]
    assert longest.count(f'data-community="{w.c.id}"') == STREET_OVERDUE_SHOWN
    assert f"/street/{w.c.street_id}/proposals?community={w.c.id}" in overview
    pages = [text(admin.get(f"/street/{w.c.street_id}/proposals?community={w.c.id}&page={n}")) for n in (1, 2)]
    titles = [re.findall(r"逾期提案\d\d", p.split('id="street-overdue"')[1].split("</ul>")[0]) for p in pages]
    assert titles == [[f"逾期提案{i:02d}" for i in range(22, 2, -1)], ["逾期提案02", "逾期提案01", "逾期提案00"]]
    # Not a community of this street; not the street's admin.
    assert admin.get(f"/street/{w.c.street_id}/proposals?community=999999").status_code == 404
    assert as_user(app, w.staff).get(f"/street/{w.c.street_id}/proposals?community={w.c.id}").status_code == 403


def test_the_street_overview_holds_each_community_to_its_own_deadlines(app, world, db, make):
    from app.core.timeutil import utcnow
    from app.proposals.models import ProposalSettings

    w, now = world, utcnow()
    patient = make.community("宽限社区", street=w.c.street)
    db.session.add(ProposalSettings(community_id=patient.id, cosign_threshold=1, window_days=14, review_days=30,
                                    reply_days=30, rehandle_days=15, categories_text="设施维修"))
    # The same proposal, review started 10 days ago, in each: overdue under 7 days, not under 30.
    for community, title in ((w.c, "本社区待审"), (patient, "宽限社区待审")):
        db.session.add(Proposal(community_id=community.id, author_id=w.author.id, title=title, category="设施维修",
                                problem="楼道灯坏了。", suggestion="尽快更换。", place="3号楼", state="under_review",
                                published_dt=now - timedelta(days=12), created_dt=now - timedelta(days=12),
                                review_started_dt=now - timedelta(days=10)))
    db.session.commit()
    admin = as_user(app, make.user(None, name="街道", street_admin_of=w.c.street))
    overview = text(admin.get(f"/street/{w.c.street_id}/proposals"))
    rows = {cid: overview.split(f'id="street-row-{cid}"')[1].split("</tr>")[0] for cid in (w.c.id, patient.id)}
    assert 'data-overdue="1"' in rows[w.c.id] and 'data-overdue="0"' in rows[patient.id]
    assert "<td>1</td>" in rows[patient.id]   # still counted as open
    assert "本社区待审" in overview and "宽限社区待审" not in overview
    # A reply 20 days late in the patient community is longer overdue than a review 3 days late.
    db.session.add(Proposal(community_id=patient.id, author_id=w.author.id, title="宽限社区迟答", category="设施维修",
                            problem="楼道灯坏了。", suggestion="尽快更换。", place="3号楼", state="assigned",
                            handler_org_id=w.org.id, published_dt=now - timedelta(days=60),
                            created_dt=now - timedelta(days=60), review_started_dt=now - timedelta(days=55),
                            assigned_dt=now - timedelta(days=50), reply_due_dt=now - timedelta(days=20)))
    db.session.commit()
    longest = text(admin.get(f"/street/{w.c.street_id}/proposals")).split('id="street-longest-overdue"')[1]
    assert re.findall(r"(?:本社区待审|宽限社区待审|宽限社区迟答)", longest.split("</ul>")[0]) == ["宽限社区迟答", "本社区待审"]


def test_a_handlers_long_queue_is_paged_soonest_due_first(app, world, db):
    from app.core.timeutil import utcnow

    w, now = world, utcnow()
    # 25 proposals assigned to the handler's organisation, the one due soonest titled 00.
    db.session.add_all(Proposal(community_id=w.c.id, author_id=w.author.id, title=f"待答复提案{i:02d}",
                                category="设施维修", problem="楼道灯坏了。", suggestion="尽快更换。", place="3号楼",
                                state="assigned", handler_org_id=w.org.id, published_dt=now - timedelta(days=40),
                                created_dt=now - timedelta(days=40), review_started_dt=now - timedelta(days=35),
                                assigned_dt=now - timedelta(days=30), reply_due_dt=now + timedelta(days=i))
                       for i in range(25))
    db.session.commit()
    handler = as_user(app, w.handler)
    first, second = (text(handler.get(f"/proposals/handling?page={n}")) for n in (1, 2))
    titles = [re.findall(r"待答复提案\d\d", page.split('id="handling-open"')[1].split("</ul>")[0])
              for page in (first, second)]
    assert titles[0] == [f"待答复提案{i:02d}" for i in range(20)]
    assert titles[1] == [f"待答复提案{i:02d}" for i in range(20, 25)]
    assert 'data-total="25"' in first and 'rel="next"' in first and 'rel="prev"' in second
