"""Yishi 议事: community self-governance for Chinese urban communities."""
import logging
from pathlib import Path

from flask import Flask
from flask_babel import gettext
from werkzeug.middleware.proxy_fix import ProxyFix

# app.models imports every model module, so that metadata (and so Alembic) sees all tables.
from app import backup, cli, live, matters, microprojects, models, notice  # noqa: F401
from app.api import api, register_api
from app.auth.models import User
from app.auth.views import bp as auth_bp
from app.community.views import bp as community_bp
from app.config import Config, TestConfig
from app.core import locale, web
from app.core.i18n import N_
from app.core.mail import check_config
from app.core.views import bp as core_bp
from app.core.web import IdConverter
from app.extensions import JsonPacket, babel, cache, csrf, db, limiter, login_manager, mail, migrate, socketio
from app.matters.views import bp as matters_bp
from app.meetings.desk_views import bp as desk_bp
from app.meetings.views import bp as meetings_bp
from app.microprojects.views import bp as microprojects_bp
from app.notice.views import bp as notice_bp
from app.notice import micro as notice_micro  # noqa: F401 - its pages are on the board's blueprint
from app.proposals.views import bp as proposals_bp
from app.votes.views import bp as votes_bp


def create_app(config=None):
    """Build the application; `config` is a Config object or a dict of overrides."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    if config is None:
        app.config.from_object(Config())
    elif isinstance(config, dict):
        base = TestConfig() if config.get("TESTING") else Config()
        app.config.from_object(base)
        app.config.update(config)
    else:
        app.config.from_object(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    check_config(app.config)
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    _init_extensions(app)
    _register_blueprints(app)
    # Each area subscribes to the signals of the areas below it.
    matters.init_app(app)
    microprojects.init_app(app)
    notice.init_app(app)
    _register_cli(app)

    web.init_app(app)
    _trust_proxies(app)
    return app


def _trust_proxies(app):
    """Behind nginx, the client's address and scheme come from X-Forwarded-*; wraps the Socket.IO
    middleware too, so its same-origin check sees https and the public host."""
    count = app.config.get("TRUSTED_PROXIES", 0)
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def normalise_database_url(url):
    """postgresql:// means psycopg2 here: it is the driver psycogreen makes gevent-friendly."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def _init_extensions(app):
    _size_pool(app)
    db.init_app(app)
    # Batch mode lets later migrations alter tables on SQLite too.
    migrate.init_app(app, db, render_as_batch=True, directory=str(_migrations_dir()))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("请先登录。")
    login_manager.localize_callback = gettext
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    locale.init_app(app, babel)
    limiter.init_app(app)
    app.config.setdefault("MAIL_DEFAULT_SENDER", app.config.get("MAIL_SENDER"))
    mail.init_app(app)
    cache.init_app(app, config=cache_config(app.config))
    api.init_app(app)
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ORIGINS"),
        manage_session=False,  # handlers never write the session; Flask's cookie stays the truth
        serializer=JsonPacket,
        ping_interval=app.config["SOCKETIO_PING_INTERVAL"],
        ping_timeout=app.config["SOCKETIO_PING_TIMEOUT"],
    )

    # The session (and any remember-me cookie) holds "<id>:<epoch>": a stale copy loads no user.
    login_manager.user_loader(User.from_session_id)


def cache_config(config):
    """Flask-Caching: Redis when CACHE_REDIS_URL names one (shared by every process), otherwise
    each process keeps its own, at most CACHE_THRESHOLD entries."""
    common = {"CACHE_KEY_PREFIX": config["CACHE_KEY_PREFIX"], "CACHE_DEFAULT_TIMEOUT": 60}
    if config.get("CACHE_REDIS_URL"):
        return common | {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": config["CACHE_REDIS_URL"]}
    return common | {"CACHE_TYPE": "app.core.cache.InProcessCache",
                      "CACHE_THRESHOLD": config["CACHE_THRESHOLD"]}


def _size_pool(app):
    """A database server's connection pool, sized from the configuration. Under gevent every
    request and live command holds a connection while it waits on the database, so a join storm
    needs more than SQLAlchemy's default of 5 + 10; a command that still finds none within
    DATABASE_POOL_TIMEOUT seconds is told the service is busy (503), never a 500."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("pool_size", app.config["DATABASE_POOL_SIZE"])
    options.setdefault("max_overflow", app.config["DATABASE_MAX_OVERFLOW"])
    options.setdefault("pool_timeout", app.config["DATABASE_POOL_TIMEOUT"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _migrations_dir():
    return Path(__file__).resolve().parent.parent / "migrations"


def _register_blueprints(app):
    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(community_bp)
    app.register_blueprint(votes_bp)
    app.register_blueprint(proposals_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(matters_bp)
    app.register_blueprint(microprojects_bp)
    app.register_blueprint(notice_bp)
    register_api(app)
    live.register(socketio)


def _register_cli(app):
    cli.register(app)
    backup.register(app)
