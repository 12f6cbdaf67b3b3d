"""Forms of the proposal pages (CSRF through Flask-WTF)."""
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms.fields.choices import SelectChoice
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.proposals.workflow import DeclineGround, Rating, ReplyCategory


class ProposalForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(message=_l("请填写标题。")),
                                          Length(min=4, max=120, message=_l("标题 4 到 120 个字。"))])
    category = SelectField(_l("类别"), validate_choice=False)
    problem = TextAreaField(_l("问题"), validators=[DataRequired(message=_l("请写出问题。"))])
    suggestion = TextAreaField(_l("建议"), validators=[DataRequired(message=_l("请写出建议。"))])
    place = StringField(_l("地点"), validators=[Optional(), Length(max=120)])
    files = MultipleFileField(_l("附件（图片或 PDF，每个不超过 10 MB，最多 5 个）"))


class ActionForm(FlaskForm):
    """Every proposal action posts this; each action reads the fields it needs."""

    reason = TextAreaField(_l("说明"), validators=[Optional(), Length(max=3000)])
    ground = SelectField(_l("不予立案理由"), validate_choice=False,
                         choices=[SelectChoice("", _l("请选择"))]
                         + [SelectChoice(g.value, _l(g.message.msgid)) for g in DeclineGround])
    category = SelectField(_l("答复类别"), validate_choice=False,
                           choices=[SelectChoice("", _l("请选择"))]
                           + [SelectChoice(c.value, LazyString(lambda c=c: f"{c.value} {c.label}"))
                              for c in ReplyCategory])
    body = TextAreaField(_l("答复内容"), validators=[Optional(), Length(max=5000)])
    rating = SelectField(_l("评价"), validate_choice=False,
                         choices=[SelectChoice("", _l("请选择"))]
                         + [SelectChoice(r.value, _l(r.message.msgid)) for r in Rating])
    days = IntegerField(_l("天数"), validators=[Optional(), NumberRange(min=1, max=365,
                                                                  message=_l("天数为 1 到 365。"))])
    target_id = IntegerField(_l("并入的提案编号"), validators=[Optional()])
    org_id = SelectField(_l("承办单位"), validate_choice=False, coerce=str)


class CommentForm(FlaskForm):
    body = TextAreaField(_l("评论"), validators=[
        DataRequired(message=_l("评论不能为空。")), Length(max=3000, message=_l("评论不超过 3000 字。"))])


class HideCommentForm(FlaskForm):
    reason = StringField(_l("隐藏理由"), validators=[DataRequired(message=_l("请写明隐藏理由。")),
                                             Length(max=500)])


class SettingsForm(FlaskForm):
    cosign_threshold = IntegerField(_l("附议人数门槛"), validators=[
        InputRequired(message=_l("请填写。")), NumberRange(min=1, max=365, message=_l("1 到 365。"))])
    window_days = IntegerField(_l("附议期（天）"), validators=[
        InputRequired(message=_l("请填写。")), NumberRange(min=1, max=365, message=_l("1 到 365。"))])
    review_days = IntegerField(_l("审查期限（天）"), validators=[
        InputRequired(message=_l("请填写。")), NumberRange(min=1, max=365, message=_l("1 到 365。"))])
    reply_days = IntegerField(_l("答复期限（天）"), validators=[
        InputRequired(message=_l("请填写。")), NumberRange(min=1, max=365, message=_l("1 到 365。"))])
    rehandle_days = IntegerField(_l("重新办理期限（天）"), validators=[
        InputRequired(message=_l("请填写。")), NumberRange(min=1, max=365, message=_l("1 到 365。"))])
    categories = TextAreaField(_l("提案类别（每行一个）"), validators=[DataRequired(message=_l("至少一个类别。"))])
