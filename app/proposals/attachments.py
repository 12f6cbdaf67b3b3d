"""Files attached to proposals: type told by content (magic bytes), size capped, random names."""
import os
import secrets
from pathlib import Path

from flask import current_app

from app.core.refusal import Refused
from app.core.sanitize import clean_text

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5

# (prefix, offset, content type); WebP is RIFF....WEBP, so it is checked apart.
_SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
]
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
              "application/pdf": "pdf"}


def sniff(data):
    """The content type the bytes really are, or None when they are none of ours."""
    for prefix, kind in _SIGNATURES:
        if data.startswith(prefix):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check(filename, data):
    """(clean filename, content type) or Invalid with a message naming the file."""
    name = clean_text(os.path.basename(filename or ""), 100) or "附件"
    if not data:
        raise Refused("empty_file", f"文件「{name}」是空的。")
    if len(data) > MAX_BYTES:
        raise Refused("file_too_large", f"文件「{name}」超过 {MAX_BYTES // 1024 // 1024} MB。")
    kind = sniff(data)
    if kind is None:
        raise Refused("file_type", f"文件「{name}」不是图片（JPEG、PNG、GIF、WebP）或 PDF。")
    return name, kind


def upload_dir():
    path = Path(current_app.config["UPLOAD_DIR"]) / "proposals"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(data, kind):
    stored = f"{secrets.token_hex(16)}.{EXTENSIONS[kind]}"
    (upload_dir() / stored).write_bytes(data)
    return stored


def path_of(stored_name):
    return upload_dir() / stored_name


def remove(stored_name):
    try:
        path_of(stored_name).unlink()
    except OSError:
        pass
