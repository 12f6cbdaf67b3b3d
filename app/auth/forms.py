"""Forms of the account pages."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

PHONE = Regexp(r"^1\d{10}$", message="请输入 11 位手机号码。")
REQUIRED = DataRequired(message="此项必填。")
PASSWORD = Length(min=8, max=128, message="密码至少 8 位。")


class RegisterForm(FlaskForm):
    phone = StringField("手机号", validators=[REQUIRED, PHONE])
    name = StringField("姓名", validators=[REQUIRED, Length(max=32, message="姓名太长。")])
    password = PasswordField("密码", validators=[REQUIRED, PASSWORD])
    confirm = PasswordField("再次输入密码", validators=[REQUIRED, EqualTo("password", message="两次输入的密码不一致。")])
    community_id = SelectField("所在社区", coerce=int, validators=[REQUIRED])
    building = StringField("楼栋", validators=[REQUIRED, Length(max=16)])
    unit = StringField("单元", validators=[REQUIRED, Length(max=16)])
    room = StringField("房号", validators=[REQUIRED, Length(max=16)])


class LoginForm(FlaskForm):
    phone = StringField("手机号", validators=[REQUIRED, PHONE])
    password = PasswordField("密码", validators=[REQUIRED])


class ActivateForm(FlaskForm):
    phone = StringField("手机号", validators=[REQUIRED, PHONE])
    code = StringField("激活码", validators=[REQUIRED, Length(min=6, max=16)])
    password = PasswordField("设置密码", validators=[REQUIRED, PASSWORD])
    confirm = PasswordField("再次输入密码", validators=[REQUIRED, EqualTo("password", message="两次输入的密码不一致。")])


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField("当前密码", validators=[REQUIRED])
    password = PasswordField("新密码", validators=[REQUIRED, PASSWORD])
    confirm = PasswordField("再次输入新密码", validators=[REQUIRED, EqualTo("password", message="两次输入的密码不一致。")])


class EmailForm(FlaskForm):
    email = StringField("电子邮箱（选填，用于接收通知）",
                        validators=[Optional(), Length(max=120),
                                    Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="邮箱格式不正确。")])


class RejectForm(FlaskForm):
    reason = TextAreaField("不通过的原因", validators=[REQUIRED, Length(max=500)])
