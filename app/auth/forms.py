"""Forms of the account pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

PHONE = Regexp(r"^1\d{10}$", message=_l("请输入 11 位手机号码。"))
REQUIRED = DataRequired(message=_l("此项必填。"))
PASSWORD = Length(min=8, max=128, message=_l("密码至少 8 位。"))


class RegisterForm(FlaskForm):
    phone = StringField(_l("手机号"), validators=[REQUIRED, PHONE])
    name = StringField(_l("姓名"), validators=[REQUIRED, Length(max=32, message=_l("姓名太长。"))])
    password = PasswordField(_l("密码"), validators=[REQUIRED, PASSWORD])
    confirm = PasswordField(_l("再次输入密码"), validators=[REQUIRED, EqualTo("password", message=_l("两次输入的密码不一致。"))])
    community_id = SelectField(_l("所在社区"), coerce=int, validators=[REQUIRED])
    building = StringField(_l("楼栋"), validators=[REQUIRED, Length(max=16)])
    unit = StringField(_l("单元"), validators=[REQUIRED, Length(max=16)])
    room = StringField(_l("房号"), validators=[REQUIRED, Length(max=16)])


class LoginForm(FlaskForm):
    phone = StringField(_l("手机号"), validators=[REQUIRED, PHONE])
    password = PasswordField(_l("密码"), validators=[REQUIRED])


class ActivateForm(FlaskForm):
    phone = StringField(_l("手机号"), validators=[REQUIRED, PHONE])
    code = StringField(_l("激活码"), validators=[REQUIRED, Length(min=6, max=16)])
    password = PasswordField(_l("设置密码"), validators=[REQUIRED, PASSWORD])
    confirm = PasswordField(_l("再次输入密码"), validators=[REQUIRED, EqualTo("password", message=_l("两次输入的密码不一致。"))])


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField(_l("当前密码"), validators=[REQUIRED])
    password = PasswordField(_l("新密码"), validators=[REQUIRED, PASSWORD])
    confirm = PasswordField(_l("再次输入新密码"), validators=[REQUIRED, EqualTo("password", message=_l("两次输入的密码不一致。"))])


class EmailForm(FlaskForm):
    email = StringField(_l("电子邮箱（选填，用于接收通知）"),
                        validators=[Optional(), Length(max=120),
                                    Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("邮箱格式不正确。"))])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("不通过的原因"), validators=[REQUIRED, Length(max=500)])
