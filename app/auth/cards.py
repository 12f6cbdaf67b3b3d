"""Personal check-in cards for residents without a phone: a short code, printed as text and as a
QR code, that a check-in desk types or scans. Only an HMAC of the code is kept, keyed with the
app's secret: the code can be looked up, and a copy of the database alone cannot forge a card."""
import hashlib
import hmac
import secrets
import unicodedata

import qrcode
import qrcode.image.svg
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.auth.models import User

# No 0/O, 1/I/L: a code read aloud or copied by hand is typed right the first time.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text):
    """What a person or a scanner typed, as the code it stands for: full-width characters,
    lower case, spaces and dashes (the printed `ABCDE-FGHJK`) do not matter."""
    if not isinstance(text, str):
        return ""
    text = unicodedata.normalize("NFKC", text).upper()
    return "".join(ch for ch in text if ch not in " -_\t\r\n")


def is_well_formed(code):
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def code_hash(code):
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, b"check-in-card:" + code.encode(), hashlib.sha256).hexdigest()


def grouped(code):
    """The code as printed: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def issue(user, now):
    """A fresh code for `user`; the old card stops working. Returns the code (shown once)."""
    code = new_code()
    user.card_code_hash = code_hash(code)
    user.card_issued_dt = now
    return code


def holder(text):
    """The user a typed or scanned code belongs to, or None."""
    code = normalise(text)
    if not is_well_formed(code):
        return None
    return User.query.filter_by(card_code_hash=code_hash(code)).first()


def qr_svg(code):
    """The card's QR code: the bare code, so a scanner that types what it reads types the code."""
    image = qrcode.make(code, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    label = escape(_("签到卡二维码"))
    return Markup(svg.replace("<svg ", f'<svg class="card-qr" role="img" aria-label="{label}" ', 1))
