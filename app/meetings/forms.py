"""Forms of the meeting pages."""
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from app.meetings.workflow import MeetingMode


class CreateMeetingForm(FlaskForm):
    body_id = SelectField("组织", coerce=int)
    title = StringField("会议名称", validators=[DataRequired(message="请填写会议名称。"), Length(max=120)])
    start = DateTimeLocalField("会议时间（北京时间）", format="%Y-%m-%dT%H:%M",
                               validators=[DataRequired(message="请填写会议时间。")])
    place = StringField("地点", validators=[Optional(), Length(max=120)])
    mode = SelectField("会议形式", choices=[SelectChoice(m.value, m.label) for m in MeetingMode],
                       default=MeetingMode.HYBRID.value)
    video_url = StringField("视频会议链接（可选）", validators=[
        Optional(), URL(message="请填写完整的网址。"), Length(max=255)])
    speaker_limit = IntegerField("每人发言时限（分钟）", default=3, validators=[
        DataRequired(message="请填写发言时限。"), NumberRange(min=1, max=60, message="发言时限为 1 至 60 分钟。")])
    notice_text = TextAreaField("通知正文 / 会议方案（可用 Markdown）", validators=[Optional(), Length(max=20000)])


class AddItemForm(FlaskForm):
    title = StringField("议题", validators=[DataRequired(message="请填写议题。"), Length(max=200)])
    description = TextAreaField("说明（可用 Markdown）", validators=[Optional(), Length(max=20000)])
    proposal_id = IntegerField("关联提案编号（可选）", validators=[Optional(), NumberRange(min=1)])
    # A select, not a checkbox: a post that leaves it out keeps the default (an item for a vote).
    purpose = SelectField("议题性质", choices=[SelectChoice("vote", "表决事项"),
                                                  SelectChoice("discussion", "讨论事项（不表决）")],
                          default="vote")


class RescheduleMeetingForm(FlaskForm):
    title = StringField("会议名称", validators=[DataRequired(message="请填写会议名称。"), Length(max=120)])
    start = DateTimeLocalField("会议时间（北京时间）", format="%Y-%m-%dT%H:%M",
                               validators=[DataRequired(message="请填写会议时间。")])
    place = StringField("地点", validators=[Optional(), Length(max=120)])


class AnnounceForm(FlaskForm):
    notice_text = TextAreaField("通知正文 / 会议方案（可用 Markdown）", validators=[Optional(), Length(max=20000)])


class CancelMeetingForm(FlaskForm):
    reason = StringField("取消原因", validators=[DataRequired(message="请写明取消的原因。"), Length(max=500)])


class NotesForm(FlaskForm):
    notes = TextAreaField("记录员笔记（Markdown）", validators=[Optional(), Length(max=20000)])


class ConveneForm(FlaskForm):
    body_id = SelectField("提议召开的会议", coerce=int)
    subject = StringField("提议讨论的事项", validators=[DataRequired(message="请写明提议讨论的事项。"),
                                                   Length(max=200)])
    reason = TextAreaField("理由（可选）", validators=[Optional(), Length(max=5000)])
