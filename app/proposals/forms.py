"""Forms of the proposal pages (CSRF through Flask-WTF)."""
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms.fields.choices import SelectChoice
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.proposals.workflow import DeclineGround, Rating, ReplyCategory


class ProposalForm(FlaskForm):
    title = StringField("标题", validators=[DataRequired(message="请填写标题。"),
                                          Length(min=4, max=120, message="标题 4 到 120 个字。")])
    category = SelectField("类别", validate_choice=False)
    problem = TextAreaField("问题", validators=[DataRequired(message="请写出问题。")])
    suggestion = TextAreaField("建议", validators=[DataRequired(message="请写出建议。")])
    place = StringField("地点", validators=[Optional(), Length(max=120)])
    files = MultipleFileField("附件（图片或 PDF，每个不超过 10 MB，最多 5 个）")


class ActionForm(FlaskForm):
    """Every proposal action posts this; each action reads the fields it needs."""

    reason = TextAreaField("说明", validators=[Optional(), Length(max=3000)])
    ground = SelectField("不予立案理由", validate_choice=False,
                         choices=[SelectChoice("", "请选择")]
                         + [SelectChoice(g.value, g.label) for g in DeclineGround])
    category = SelectField("答复类别", validate_choice=False,
                           choices=[SelectChoice("", "请选择")]
                           + [SelectChoice(c.value, f"{c.value} {c.label}") for c in ReplyCategory])
    body = TextAreaField("答复内容", validators=[Optional(), Length(max=5000)])
    rating = SelectField("评价", validate_choice=False,
                         choices=[SelectChoice("", "请选择")]
                         + [SelectChoice(r.value, r.label) for r in Rating])
    days = IntegerField("天数", validators=[Optional(), NumberRange(min=1, max=365,
                                                                  message="天数为 1 到 365。")])
    target_id = IntegerField("并入的提案编号", validators=[Optional()])
    org_id = SelectField("承办单位", validate_choice=False, coerce=str)


class CommentForm(FlaskForm):
    body = TextAreaField("评论", validators=[
        DataRequired(message="评论不能为空。"), Length(max=3000, message="评论不超过 3000 字。")])


class HideCommentForm(FlaskForm):
    reason = StringField("隐藏理由", validators=[DataRequired(message="请写明隐藏理由。"),
                                             Length(max=500)])


class SettingsForm(FlaskForm):
    cosign_threshold = IntegerField("附议人数门槛", validators=[
        InputRequired(message="请填写。"), NumberRange(min=1, max=365, message="1 到 365。")])
    window_days = IntegerField("附议期（天）", validators=[
        InputRequired(message="请填写。"), NumberRange(min=1, max=365, message="1 到 365。")])
    review_days = IntegerField("审查期限（天）", validators=[
        InputRequired(message="请填写。"), NumberRange(min=1, max=365, message="1 到 365。")])
    reply_days = IntegerField("答复期限（天）", validators=[
        InputRequired(message="请填写。"), NumberRange(min=1, max=365, message="1 到 365。")])
    rehandle_days = IntegerField("重新办理期限（天）", validators=[
        InputRequired(message="请填写。"), NumberRange(min=1, max=365, message="1 到 365。")])
    categories = TextAreaField("提案类别（每行一个）", validators=[DataRequired(message="至少一个类别。")])
