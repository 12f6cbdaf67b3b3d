"""Uploaded files of every area: type told by content (magic bytes), size and count capped,
stored under a random name in the area's folder, and removed again if the transaction that
stored them is rolled back."""
import os
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.i18n import N_
from app.core.refusal import Refused
from app.core.sanitize import clean_text

MAX_BYTES = 10 * 1024 * 1024

# (prefix, content type); WebP is RIFF....WEBP, so it is checked apart.
_SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
              "application/pdf": "pdf"}

# The session key listing the files stored in the current transaction, as (folder, name).
_STORED = "uploaded_files"


def sniff(data):
    """The content type the bytes really are, or None when they are none of ours."""
    for prefix, kind in _SIGNATURES:
        if data.startswith(prefix):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check(filename, data):
    """(clean filename, content type), or Refused with a message naming the file."""
    name = clean_text(os.path.basename(filename or ""), 100) or _("附件")
    if not data:
        raise Refused("empty_file", N_("文件「%(name)s」是空的。"), name=name)
    if len(data) > MAX_BYTES:
        raise Refused("file_too_large", N_("文件「%(name)s」超过 %(mb)d MB。"), name=name,
                      mb=MAX_BYTES // 1024 // 1024)
    kind = sniff(data)
    if kind is None:
        raise Refused("file_type", N_("文件「%(name)s」不是图片（JPEG、PNG、GIF、WebP）或 PDF。"), name=name)
    return name, kind


def check_count(count, limit, message, **params):
    """Refuse one file more when `count` are there already and `limit` is the most allowed;
    `message` is a msgid (N_/NP_) with its `params`."""
    if count >= limit:
        raise Refused("too_many_files", message, **params)


def folder(area):
    path = Path(current_app.config["UPLOAD_DIR"]) / area
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(area, stored_name):
    return folder(area) / stored_name


def store(area, data, kind, session):
    """Write the bytes under a new random name in the area's folder; the name is returned.

    A rolled-back transaction must not leave an orphan file behind: the file is noted in
    `session` and removed if it rolls back.
    """
    stored = f"{secrets.token_hex(16)}.{EXTENSIONS[kind]}"
    (folder(area) / stored).write_bytes(data)
    session.info.setdefault(_STORED, []).append((area, stored))
    return stored


def remove(area, stored_name):
    try:
        path_of(area, stored_name).unlink()
    except (OSError, RuntimeError):
        pass


@event.listens_for(Session, "after_commit")
def _keep_files(session):
    session.info.pop(_STORED, None)


@event.listens_for(Session, "after_rollback")
def _drop_files(session):
    # Files stored in a transaction that was rolled back belong to nothing.
    for area, stored in session.info.pop(_STORED, []):
        remove(area, stored)
