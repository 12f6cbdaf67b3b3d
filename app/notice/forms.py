"""Forms of the general notices admins write (CSRF through Flask-WTF)."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.notice.rules import GENERAL_CATEGORIES


class NoticeForm(FlaskForm):
    title = StringField("标题", validators=[DataRequired(message="请填写标题。"),
                                          Length(min=4, max=120, message="标题 4 到 120 个字。")])
    category = SelectField("公开类别", choices=[SelectChoice(c, c) for c in GENERAL_CATEGORIES])
    body = TextAreaField("内容（支持 Markdown：# 标题、- 列表、| 表格 |）",
                         validators=[DataRequired(message="请写出公开的内容。"),
                                     Length(max=20000, message="内容不超过 20000 字。")])


class WithdrawForm(FlaskForm):
    reason = StringField("撤下理由", validators=[DataRequired(message="请说明撤下的理由。"),
                                              Length(max=500)])


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""
