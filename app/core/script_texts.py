"""The words the page scripts (room.js, desk.js, proposals.js) show, translated for the page.

A page renders them as JSON in `<script type="application/json" id="i18n-messages">` (base.html);
app.js's `yishiText(key, params)` fills `%(name)s` placeholders, so no script holds a sentence of
its own. Texts the server sends (refusals, quorum and result explanations) come translated already.
"""
from flask_babel import lazy_gettext as _l

TEXTS = {
    # the connection
    "conn.connected": _l("已连接"),
    "conn.lost": _l("连接已断开，正在重连…"),
    "conn.offline": _l("网络已断开，正在重连…"),
    "conn.back": _l("已重新连接"),
    "conn.busy": _l("服务器繁忙，正在重试…"),
    "conn.retrying": _l("无法连接，正在重试…"),
    "conn.signed_out": _l("未登录"),
    "conn.sign_in": _l("去登录"),
    "conn.cannot_join": _l("无法进入会议室"),
    "conn.join_failed": _l("未能加入会议室"),
    "conn.timeout": _l("网络超时，请重试。"),
    # meeting states
    "state.draft": _l("草稿"),
    "state.announced": _l("已通知"),
    "state.live": _l("进行中"),
    "state.ended": _l("已结束"),
    "state.minutes_signed": _l("纪要已签署"),
    "state.cancelled": _l("已取消"),
    # the agenda
    "agenda.empty": _l("（议程为空）"),
    "agenda.late": _l("通知后增加 · 不表决"),
    "agenda.discussion": _l("讨论 · 不表决"),
    "agenda.go": _l("转到"),
    "minutes.link": _l("查看会议纪要"),
    # attendance
    "unit.persons": _l("人"),
    "quorum.households_persons": _l("；每户一票，出席成员 %(persons)s 人"),
    "presence.count": _l("（%(present)s / %(members)s %(unit)s）"),
    "presence.big_room": _l("本次会议人数较多，完整名单只显示在主持人和记录员的屏幕上。"),
    "member.non_voting": _l("%(name)s（列席）"),
    "presence.hall": _l("现场"),
    "presence.online": _l("线上"),
    "presence.absent": _l("未签到"),
    "presence.check_in_for": _l("代为签到"),
    # speakers and chat
    "speaker.hall": _l("%(name)s（现场）"),
    "speaker.online": _l("%(name)s（线上）"),
    "speaker.give_floor": _l("请发言"),
    "speaker.none": _l("当前无人发言"),
    "speaker.speaking": _l("%(name)s 正在发言 · 剩余 %(left)s"),
    "chat.hidden": _l("此消息已被隐藏"),
    "chat.hide": _l("隐藏"),
    # votes
    "vote.blank": _l("空白票"),
    "vote.invalid": _l("废票"),
    "vote.ballots": _l("选票总数"),
    "vote.offline_cast": _l("网络不畅，投票尚未确认；恢复连接后会自动重新提交。"),
    "vote.progress": _l("已投 %(cast)s / 实到 %(eligible)s %(unit)s"),
    "vote.title_kind": _l("%(title)s（%(kind)s）"),
    "vote.voted": _l("您已投票。"),
    "vote.voted_for": _l("您已投票：%(choice)s。"),
    "vote.receipt": _l("回执码"),
    "vote.keep_receipt": _l("请记下回执码：表决结束后可在公示名单中核对您的选票。"),
    "vote.household_voted": _l("本户已由 %(name)s 投票，每户只有一票。"),
    "vote.in_hall": _l("您已在会场签到：请在会场表决，由记录员录入。"),
    "vote.not_present": _l("表决开始时您未签到，不能参加本次表决。"),
    "vote.close": _l("结束表决并宣布结果"),
    "vote.confirm_close": _l("确定结束表决吗？结束后不能再投票。"),
    "vote.confirm_choice": _l("确定投“%(choice)s”吗？投票后不能更改。"),
    "vote.up_to": _l("最多选 %(num)s 项"),
    "vote.too_many": _l("最多只能选 %(num)s 项。"),
    "vote.submit": _l("提交选票"),
    "vote.confirm_submit": _l("确定提交吗？投票后不能更改。"),
    "vote.entered": _l("已录入"),
    "vote.hall_entry": _l("录入会场表决"),
    "vote.no_hall_members": _l("会场没有签到的表决成员。"),
    "vote.enter": _l("录入"),
    "vote.hall_present": _l("会场实到 %(present)s %(unit)s；请录入纸质选票的清点结果。"),
    "vote.enter_totals": _l("录入合计"),
    "vote.reenter_totals": _l("重新录入合计"),
    "vote.verdict": _l("%(heading)s：%(verdict)s"),
    "vote.passed": _l("通过"),
    "vote.failed": _l("未通过"),
    "vote.count": _l("%(label)s %(count)s 票"),
    "vote.receipts_link": _l("回执码公示与核对"),
    "vote.none_open": _l("当前没有进行中的表决。"),
    "list.separator": _l("，"),
    "list.and": _l("、"),
    # the check-in desk
    "desk.failed": _l("操作失败（%(status)s），请重试。"),
    "desk.offline": _l("网络中断，未能签到，请重试。"),
    "desk.mode_hall": _l("已现场签到"),
    "desk.mode_online": _l("线上出席"),
    "desk.phone_tail": _l("尾号 %(digits)s"),
    "desk.undo": _l("撤销"),
    "desk.more": _l("还有 %(num)s 人，请输入更多字缩小范围。"),
    "desk.summary": _l("共 %(num)s 名成员。输入姓名、房号或手机尾号查找。"),
    "desk.found": _l("找到 %(num)s 人"),
    "desk.not_found": _l("没有找到“%(text)s”。"),
    "desk.checked_in": _l("✓ %(name)s%(where)s 已签到"),
    "desk.already": _l("%(name)s%(where)s 已经签到过了"),
    "desk.undone": _l("已撤销 %(name)s 的签到"),
    "desk.no_camera": _l("无法打开摄像头：请允许本页使用摄像头，或改用输入签到卡号码。"),
    # similar proposals while writing
    "similar.cosigns": _l("附议 %(num)s"),
    "similar.open": _l("已有相似的提案，可以直接附议："),
    "similar.closed": _l("相似的提案已在办理或已有答复，不能再附议："),
}


def for_page():
    """{key: text} in the reader's language."""
    return {key: str(text) for key, text in TEXTS.items()}
