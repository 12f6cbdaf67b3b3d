"""Forms of the meeting pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from app.meetings.workflow import MeetingMode


class CreateMeetingForm(FlaskForm):
    body_id = SelectField(_l("组织"), coerce=int)
    title = StringField(_l("会议名称"), validators=[DataRequired(message=_l("请填写会议名称。")), Length(max=120)])
    start = DateTimeLocalField(_l("会议时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                               validators=[DataRequired(message=_l("请填写会议时间。"))])
    place = StringField(_l("地点"), validators=[Optional(), Length(max=120)])
    mode = SelectField(_l("会议形式"), choices=[SelectChoice(m.value, _l(m.label)) for m in MeetingMode],
                       default=MeetingMode.HYBRID.value)
    video_url = StringField(_l("视频会议链接（可选）"), validators=[
        Optional(), URL(message=_l("请填写完整的网址。")), Length(max=255)])
    speaker_limit = IntegerField(_l("每人发言时限（分钟）"), default=3, validators=[
        DataRequired(message=_l("请填写发言时限。")), NumberRange(min=1, max=60, message=_l("发言时限为 1 至 60 分钟。"))])
    notice_text = TextAreaField(_l("通知正文 / 会议方案（可用 Markdown）"), validators=[Optional(), Length(max=20000)])


class AddItemForm(FlaskForm):
    title = StringField(_l("议题"), validators=[DataRequired(message=_l("请填写议题。")), Length(max=200)])
    description = TextAreaField(_l("说明（可用 Markdown）"), validators=[Optional(), Length(max=20000)])
    proposal_id = IntegerField(_l("关联提案编号（可选）"), validators=[Optional(), NumberRange(min=1)])
    # A select, not a checkbox: a post that leaves it out keeps the default (an item for a vote).
    purpose = SelectField(_l("议题性质"), choices=[SelectChoice("vote", _l("表决事项")),
                                                  SelectChoice("discussion", _l("讨论事项（不表决）"))],
                          default="vote")


class RescheduleMeetingForm(FlaskForm):
    title = StringField(_l("会议名称"), validators=[DataRequired(message=_l("请填写会议名称。")), Length(max=120)])
    start = DateTimeLocalField(_l("会议时间（北京时间）"), format="%Y-%m-%dT%H:%M",
                               validators=[DataRequired(message=_l("请填写会议时间。"))])
    place = StringField(_l("地点"), validators=[Optional(), Length(max=120)])


class AnnounceForm(FlaskForm):
    notice_text = TextAreaField(_l("通知正文 / 会议方案（可用 Markdown）"), validators=[Optional(), Length(max=20000)])


class CancelMeetingForm(FlaskForm):
    reason = StringField(_l("取消原因"), validators=[DataRequired(message=_l("请写明取消的原因。")), Length(max=500)])


class NotesForm(FlaskForm):
    notes = TextAreaField(_l("记录员笔记（Markdown）"), validators=[Optional(), Length(max=20000)])


class ConveneForm(FlaskForm):
    body_id = SelectField(_l("提议召开的会议"), coerce=int)
    subject = StringField(_l("提议讨论的事项"), validators=[DataRequired(message=_l("请写明提议讨论的事项。")),
                                                   Length(max=200)])
    reason = TextAreaField(_l("理由（可选）"), validators=[Optional(), Length(max=5000)])
