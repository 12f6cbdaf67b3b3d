"""Forms of the vote pages."""
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange


class CreateConsultationForm(FlaskForm):
    title = StringField("标题", validators=[DataRequired(message="请填写标题。"), Length(max=120)])
    description = TextAreaField("说明（支持 Markdown）", validators=[Length(max=5000)])
    options = TextAreaField("选项（每行一个；不填则为赞成/反对/弃权）", validators=[Length(max=2000)])
    up_to = IntegerField("最多可选几项", default=1,
                         validators=[NumberRange(min=1, max=20, message="请填写 1 至 20。")])
    start = DateTimeLocalField("开始时间", format="%Y-%m-%dT%H:%M",
                               validators=[DataRequired(message="请填写开始时间。")])
    end = DateTimeLocalField("结束时间", format="%Y-%m-%dT%H:%M",
                             validators=[DataRequired(message="请填写结束时间。")])
