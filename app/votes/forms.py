"""Forms of the vote pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange


class CreateConsultationForm(FlaskForm):
    title = StringField(_l("标题"), validators=[DataRequired(message=_l("请填写标题。")), Length(max=120)])
    description = TextAreaField(_l("说明（支持 Markdown）"), validators=[Length(max=5000)])
    options = TextAreaField(_l("选项（每行一个；不填则为赞成/反对/弃权）"), validators=[Length(max=2000)])
    up_to = IntegerField(_l("最多可选几项"), default=1,
                         validators=[NumberRange(min=1, max=20, message=_l("请填写 1 至 20。"))])
    start = DateTimeLocalField(_l("开始时间"), format="%Y-%m-%dT%H:%M",
                               validators=[DataRequired(message=_l("请填写开始时间。"))])
    end = DateTimeLocalField(_l("结束时间"), format="%Y-%m-%dT%H:%M",
                             validators=[DataRequired(message=_l("请填写结束时间。"))])
