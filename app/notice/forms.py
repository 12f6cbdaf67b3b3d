"""Forms of the general notices admins write (CSRF through Flask-WTF)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.notice.rules import GENERAL_CATEGORIES


class NoticeForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(message=_l("请填写标题。")),
                                          Length(min=4, max=120, message=_l("标题 4 到 120 个字。"))])
    category = SelectField(_l("公开类别"), choices=[SelectChoice(c, _l(c)) for c in GENERAL_CATEGORIES])
    body = TextAreaField(_l("内容（支持 Markdown：# 标题、- 列表、| 表格 |）"),
                         validators=[DataRequired(message=_l("请写出公开的内容。")),
                                     Length(max=20000, message=_l("内容不超过 20000 字。"))])


class WithdrawForm(FlaskForm):
    reason = StringField(_l("撤下理由"), validators=[DataRequired(message=_l("请说明撤下的理由。")),
                                              Length(max=500)])


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""
