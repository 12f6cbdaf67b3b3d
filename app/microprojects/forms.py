"""Forms of the micro-project pages. Money is typed in 元 and kept in fen (rules.parse_yuan)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateTimeLocalField, IntegerField, MultipleFileField, SelectField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.microprojects import rules
from app.microprojects.rules import BallotBase, ChoiceMode, Ground, Kind, Rating

DATE_FORMAT = "%Y-%m-%dT%H:%M"


def yuan_field(label, required=True):
    def check(form, field):
        if not (field.data or "").strip():
            if required:
                raise ValidationError(_l("请填写金额。"))
            return
        if rules.parse_yuan(field.data) is None:
            raise ValidationError(_l("金额格式不对，例如 12000 或 12000.50。"))
    return StringField(label, validators=[check])


def fen_of(field):
    return rules.parse_yuan(field.data) if (field.data or "").strip() else None


def _date(label):
    return DateTimeLocalField(label, format=DATE_FORMAT, validators=[DataRequired(message=_l("请填写时间。"))])


class CreateRoundForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(message=_l("请填写标题。")), Length(max=120)])
    year = IntegerField(_l("年度"), validators=[NumberRange(min=2000, max=2100, message=_l("请填写年度。"))])
    fund = yuan_field(_l("资金总额（元）"))
    service_cap = yuan_field(_l("服务类项目上限（元）"))
    goods_cap = yuan_field(_l("货物类项目上限（元）"))
    works_cap = yuan_field(_l("工程类项目上限（元）"))
    categories = TextAreaField(_l("项目类别（每行一个）"), validators=[Length(max=1000)])
    collect_start = _date(_l("征集项目开始"))
    screen_start = _date(_l("审核筛选开始"))
    deliberate_start = _date(_l("议事会协商开始"))
    vote_start = _date(_l("居民投票开始"))
    vote_end = _date(_l("居民投票结束（结果公示开始）"))
    implement_start = _date(_l("组织实施开始"))
    close = _date(_l("本轮结束"))
    ballot_base = SelectField(_l("投票方式"), choices=[SelectChoice(b.value, _l(b.label)) for b in BallotBase])
    choice_mode = SelectField(_l("选票规则"), choices=[SelectChoice(m.value, _l(m.label)) for m in ChoiceMode])
    max_choices = IntegerField(_l("最多可选项目数 k"), default=3,
                               validators=[NumberRange(min=1, max=50, message=_l("请填写 1 至 50。"))])
    is_changeable = BooleanField(_l("投票结束前可以更改选票"), default=True)
    matter_threshold = yuan_field(_l("超过此金额的项目须经“四议两公开”（元，可不填）"), required=False)


class IdeaForm(FlaskForm):
    title = StringField(_l("项目名称"), validators=[DataRequired(message=_l("请填写项目名称。")), Length(max=120)])
    description = TextAreaField(_l("要做什么"), validators=[DataRequired(message=_l("请写清楚要做什么。")),
                                                          Length(max=5000)])
    beneficiaries = StringField(_l("为谁做（受益人群）"), validators=[Length(max=200)])
    place = StringField(_l("在哪里"), validators=[Length(max=120)])
    kind = SelectField(_l("项目类型"), choices=[SelectChoice(k.value, _l(k.label)) for k in Kind])
    category = SelectField(_l("类别"), choices=[])
    cost = yuan_field(_l("大概需要多少钱（元，可不填）"), required=False)
    photos = MultipleFileField(_l("照片（可选）"))
    source = SelectField(_l("来源"), choices=[SelectChoice("online", _l("网上提交")),
                                              SelectChoice("paper", _l("纸质收集")),
                                              SelectChoice("visit", _l("走访收集"))], default="online")
    source_name = StringField(_l("提出人（纸质或走访收集时填写）"), validators=[Length(max=60)])


class PromoteForm(FlaskForm):
    proposal_id = IntegerField(_l("提案编号"), validators=[DataRequired(message=_l("请填写提案编号。"))])
    kind = SelectField(_l("项目类型"), choices=[SelectChoice(k.value, _l(k.label)) for k in Kind])
    cost = yuan_field(_l("大概需要多少钱（元，可不填）"), required=False)


class ScreenForm(FlaskForm):
    decision = SelectField(_l("审核结论"), choices=[SelectChoice("feasible", _l("可行")),
                                                   SelectChoice("infeasible", _l("不可行")),
                                                   SelectChoice("merged", _l("并入其他项目"))])
    ground = SelectField(_l("不可行的理由"), choices=[SelectChoice("", "—")] + [SelectChoice(g.value, _l(g.label)) for g in Ground],
                         validators=[Optional()])
    estimate = yuan_field(_l("估算金额（元）"), required=False)
    handler_org_id = SelectField(_l("建议承办单位"), choices=[], validators=[Optional()])
    merge_into_id = IntegerField(_l("并入项目编号"), validators=[Optional()])
    reason = TextAreaField(_l("审核理由（公开）"), validators=[DataRequired(message=_l("请写出审核理由。")),
                                                        Length(max=2000)])


class ScheduleForm(FlaskForm):
    meeting_id = SelectField(_l("会议"), choices=[], coerce=int)


class PaperVoterForm(FlaskForm):
    phone = StringField(_l("居民手机号"), validators=[DataRequired(message=_l("请填写手机号。")), Length(max=20)])


class AssignForm(FlaskForm):
    org_id = SelectField(_l("承办单位"), choices=[], coerce=int)
    phones = StringField(_l("承办人手机号（多个用逗号分隔）"), validators=[Length(max=200)])


class MilestoneForm(FlaskForm):
    title = StringField(_l("节点"), validators=[DataRequired(message=_l("请填写节点名称。")), Length(max=120)])
    due = _date(_l("计划完成时间"))
    percent = IntegerField(_l("完成后的进度（%）"),
                           validators=[NumberRange(min=1, max=100, message=_l("请填写 1 至 100。"))])


class CompleteForm(FlaskForm):
    note = TextAreaField(_l("完成情况"), validators=[Length(max=5000)])
    photos = MultipleFileField(_l("照片（可选）"))


class SpendingForm(FlaskForm):
    amount = yuan_field(_l("支出金额（元）"))
    note = StringField(_l("用途"), validators=[DataRequired(message=_l("请写明用途。")), Length(max=200)])


class RateForm(FlaskForm):
    rating = SelectField(_l("您的评价"), choices=[SelectChoice(r.value, _l(r.label)) for r in Rating])


class AcceptForm(FlaskForm):
    note = TextAreaField(_l("验收意见"), validators=[DataRequired(message=_l("请写出验收意见。")),
                                                    Length(max=5000)])
