"""Forms of the community admin pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Regexp

from app.community.models import HANDLER_KIND_LABELS, MEMBER_ROLE_LABELS, HandlerKind, MemberRole


class ImportRegisterForm(FlaskForm):
    file = FileField(_l("居民名册文件（CSV 或 XLSX）"), validators=[
        FileRequired(message=_l("请选择文件。")),
        FileAllowed(["csv", "xlsx"], message=_l("只支持 CSV 或 XLSX 文件。")),
    ])


class BodyRuleForm(FlaskForm):
    quorum = SelectField(_l("法定人数（出席）"))
    majority_base = SelectField(_l("通过所需赞成票的计算基数"))
    notice_days = IntegerField(_l("会议通知期（天）"), validators=[
        DataRequired(message=_l("请填写通知期。")), NumberRange(min=0, max=60, message=_l("通知期为 0 至 60 天。"))])
    residents_base = SelectField(_l("居民会议的计算基数"), validate_choice=False)


class BodyPublicForm(FlaskForm):
    is_public = BooleanField(_l("公开：本社区居民可旁听会议，表决结束后公开结果和回执码"))


class AddMemberForm(FlaskForm):
    phone = StringField(_l("手机号"), validators=[DataRequired(message=_l("请输入手机号。")),
                                           Regexp(r"^1\d{10}$", message=_l("请输入 11 位手机号码。"))])
    role = SelectField(_l("身份"), choices=[SelectChoice(r.value, _l(MEMBER_ROLE_LABELS[r.value])) for r in MemberRole])
    is_voting = BooleanField(_l("有表决权"), default=True)


class UpdateMemberForm(FlaskForm):
    role = SelectField(_l("身份"), choices=[SelectChoice(r.value, _l(MEMBER_ROLE_LABELS[r.value])) for r in MemberRole])
    is_voting = BooleanField(_l("有表决权"))


class CreateHandlerOrgForm(FlaskForm):
    name = StringField(_l("单位名称"), validators=[DataRequired(message=_l("请填写单位名称。"))])
    kind = SelectField(_l("类型"), choices=[SelectChoice(k.value, _l(HANDLER_KIND_LABELS[k.value])) for k in HandlerKind])
    community_id = SelectField(_l("服务范围"), coerce=int, validate_choice=False)


class AddHandlerPersonForm(FlaskForm):
    phone = StringField(_l("承办人手机号"), validators=[DataRequired(message=_l("请输入手机号。")),
                                               Regexp(r"^1\d{10}$", message=_l("请输入 11 位手机号码。"))])
