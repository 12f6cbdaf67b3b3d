"""Forms of the matter pages (CSRF through Flask-WTF)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.matters.workflow import MAX_OBJECTION_DAYS, MIN_OBJECTION_DAYS


class MatterForm(FlaskForm):
    title = StringField(_l("事项名称"), validators=[DataRequired(message=_l("请填写事项名称。")),
                                            Length(min=4, max=120, message=_l("名称 4 到 120 个字。"))])
    kind = SelectField(_l("事项类别"), validate_choice=False)
    plan = TextAreaField(_l("方案（支持 Markdown）"), validators=[DataRequired(message=_l("请写出方案。"))])
    budget = StringField(_l("预算（元，可不填）"), validators=[Optional(), Length(max=20)])
    files = MultipleFileField(_l("附件（图片或 PDF，每个不超过 10 MB）"))


class ScheduleForm(FlaskForm):
    meeting_id = SelectField(_l("会议"), coerce=int, validate_choice=False,
                             validators=[InputRequired(message=_l("请选择会议。"))])


class ObjectionForm(FlaskForm):
    text = TextAreaField(_l("异议内容"), validators=[DataRequired(message=_l("请写明异议。")),
                                             Length(min=5, max=3000, message=_l("异议 5 到 3000 字。"))])


class AnswerForm(FlaskForm):
    text = TextAreaField(_l("答复"), validators=[DataRequired(message=_l("请写出答复。")),
                                           Length(min=5, max=3000, message=_l("答复 5 到 3000 字。"))])


class ReasonsForm(FlaskForm):
    text = TextAreaField(_l("未通过的理由（可摘自会议纪要）"), validators=[
        DataRequired(message=_l("请写明理由。")), Length(max=3000)])


class ReportForm(FlaskForm):
    text = TextAreaField(_l("实施情况（支持 Markdown）"), validators=[
        DataRequired(message=_l("请写出实施情况。")), Length(min=5, max=10000, message=_l("5 到 10000 字。"))])
    percent_done = IntegerField(_l("完成度（%）"), validators=[
        InputRequired(message=_l("请填写完成度。")), NumberRange(min=0, max=100, message=_l("0 到 100。"))])
    spent = StringField(_l("累计已用资金（元）"), validators=[Optional(), Length(max=20)])
    photos = MultipleFileField(_l("现场照片（可多选）"))


class SettingsForm(FlaskForm):
    kinds = TextAreaField(_l("须经“四议两公开”的事项类别（每行一类）"),
                          validators=[DataRequired(message=_l("至少一类。"))])
    objection_days = IntegerField(
        _l("决议公示期（天，%(min)d 到 %(max)d）", min=MIN_OBJECTION_DAYS, max=MAX_OBJECTION_DAYS), validators=[
            InputRequired(message=_l("请填写。")),
            NumberRange(min=MIN_OBJECTION_DAYS, max=MAX_OBJECTION_DAYS,
                        message=_l("公示期为 %(min)d 到 %(max)d 天。", min=MIN_OBJECTION_DAYS,
                                   max=MAX_OBJECTION_DAYS))])
