"""Forms every area uses."""
from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""
