"""Configuration read from the environment, with safe defaults for a laptop."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("YISHI_INSTANCE", BASE_DIR / "instance"))


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key():
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    # A per-instance random key survives restarts without anyone having to set one.
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(os.urandom(32).hex())
    return path.read_text().strip()


class Config:
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'yishi.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # PostgreSQL connections per process (pool + overflow); keep processes × both under the
    # server's max_connections (100 by default).
    DATABASE_POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "20"))
    DATABASE_MAX_OVERFLOW = int(os.environ.get("DATABASE_MAX_OVERFLOW", "10"))
    DATABASE_POOL_TIMEOUT = float(os.environ.get("DATABASE_POOL_TIMEOUT", "30"))
    # The process's log level (DEBUG also logs each group commit of casts: its size, its time).
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "gevent")
    # Engine.IO heartbeat: a socket that has not answered a ping within the timeout is closed. A
    # hall of old phones on a weak signal (or a loaded server) may want more than the default.
    SOCKETIO_PING_INTERVAL = float(os.environ.get("SOCKETIO_PING_INTERVAL", "25"))
    SOCKETIO_PING_TIMEOUT = float(os.environ.get("SOCKETIO_PING_TIMEOUT", "20"))
    # Group commit of online casts (app/votes/batch.py): once a cast arrives, the committer waits
    # CAST_BATCH_WINDOW seconds for others, writes at most CAST_BATCH_MAX in one transaction, and
    # a caller whose cast is not committed within CAST_COMMIT_TIMEOUT seconds is told to retry.
    CAST_BATCH_WINDOW = float(os.environ.get("CAST_BATCH_WINDOW", "0.002"))
    CAST_BATCH_MAX = int(os.environ.get("CAST_BATCH_MAX", "256"))
    CAST_COMMIT_TIMEOUT = float(os.environ.get("CAST_COMMIT_TIMEOUT", "15"))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # The notice board's rendered pages (Flask-Caching): in each process unless a Redis URL is
    # given, which every process then shares. The prefix keeps two sites on one Redis apart.
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL") or None
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "yishi:")
    CACHE_THRESHOLD = int(os.environ.get("CACHE_THRESHOLD", "1000"))  # entries, in-process cache
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Login throttle (app/auth/throttle.py). A hall on one Wi-Fi is one address: the limits per
    # address sit far above what 300 residents logging in within five minutes make, and guessing is
    # stopped per account instead: after LOGIN_LIMIT_PER_ACCOUNT wrong passwords (or activation
    # codes) for one phone number, that account waits, first LOGIN_ACCOUNT_WAIT_SECONDS, doubling
    # with each further failure up to LOGIN_ACCOUNT_MAX_WAIT_SECONDS.
    LOGIN_LIMIT_PER_ACCOUNT = int(os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5"))
    LOGIN_ACCOUNT_WAIT_SECONDS = int(os.environ.get("LOGIN_ACCOUNT_WAIT_SECONDS", "60"))
    LOGIN_ACCOUNT_MAX_WAIT_SECONDS = int(os.environ.get("LOGIN_ACCOUNT_MAX_WAIT_SECONDS", "900"))
    # Failed attempts from one address, and all attempts from one address (Flask-Limiter syntax).
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "100 per minute")
    LOGIN_ATTEMPTS_PER_ADDRESS = os.environ.get("LOGIN_ATTEMPTS_PER_ADDRESS", "600 per minute")
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    DISPLAY_TIMEZONE = "Asia/Shanghai"
    API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "30"))
    # Flask-Mailman. Mail is off without MAIL_SERVER; with it, PUBLIC_BASE_URL must be set too
    # (mail links to pages), or create_app refuses to start.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")  # SMTP host
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "yishi@localhost")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)  # STARTTLS, usually port 587
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)  # SMTP over TLS, usually port 465
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))  # seconds, per SMTP operation
    # flask-smorest: the OpenAPI document lives under the API prefix.
    API_TITLE = "Yishi 议事 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    # How many proxies (nginx) stand in front and set X-Forwarded-For/-Proto/-Host. 0 ignores those
    # headers: otherwise a client could name any address and slip past the login throttle.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    BACKUP_DIR = os.environ.get("BACKUP_DIR", str(INSTANCE_DIR / "backups"))
    # A 四议两公开 resolution stays up at least this long (the law's 7 days is the floor).
    MATTER_OBJECTION_DAYS = max(7, int(os.environ.get("MATTER_OBJECTION_DAYS", "7")))
    # A meeting may go live this many minutes before its announced start (for setting up), no earlier.
    MEETING_EARLY_START_MINUTES = max(0, int(os.environ.get("MEETING_EARLY_START_MINUTES", "30")))

    def __init__(self):
        self.SECRET_KEY = _secret_key()


class TestConfig(Config):
    TESTING = True
    PROPAGATE_EXCEPTIONS = True
    WTF_CSRF_ENABLED = False
    SOCKETIO_ASYNC_MODE = "threading"
    SQLALCHEMY_ENGINE_OPTIONS = {}
    MAIL_SERVER = None
    MAIL_BACKEND = "locmem"  # Flask-Mailman keeps sent messages in app.extensions["mailman"].outbox
    # Statistics counted on every read, so a test sees what it has just written (the snapshots'
    # own tests set an age).
    NOTICE_STATS_MAX_AGE = 0

    def __init__(self):
        self.SECRET_KEY = "test-secret"
