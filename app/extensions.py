"""Flask extensions, created unbound and initialised in create_app()."""
from functools import cached_property

import click
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from engineio import json as _json
from socketio.packet import Packet
from sqlalchemy import MetaData

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

db = SQLAlchemy(metadata=metadata)


class _MigrateConfig:
    """`app.extensions["migrate"]` before Flask-Migrate is imported: the migrations' directory at
    once, anything else (for a migration's env.py, a `flask db` command) from Flask-Migrate's own
    configuration, built on first use."""

    def __init__(self, db, directory, options):
        self.db, self.directory, self._options = db, directory, options

    @cached_property
    def _real(self):
        import flask_migrate

        real = flask_migrate.Migrate(db=self.db, directory=self.directory, **self._options)
        return flask_migrate._MigrateConfig(real, self.db, **real.alembic_ctx_kwargs)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)   # nothing private is forwarded (nor `_real` to itself)
        return getattr(self._real, name)


class _MigrateCommands(click.Group):
    """`flask db ...`: Flask-Migrate's command group (its options, its commands), imported when
    it is run."""

    @staticmethod
    def _group():
        from flask_migrate.cli import db as group

        return group

    def make_context(self, info_name, args, parent=None, **extra):
        group = self._group()
        self.params, self.callback = group.params, group.callback
        return super().make_context(info_name, args, parent, **extra)

    def list_commands(self, ctx):
        return self._group().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._group().get_command(ctx, name)


class Migrations:
    """Flask-Migrate's `Migrate`, without importing it (nor Alembic, Mako and Pygments behind it)
    until a migration runs: about 9 MiB that a serving process never uses."""

    def init_app(self, app, db, directory, **options):
        app.extensions["migrate"] = _MigrateConfig(db, str(directory), options)
        app.cli.add_command(_MigrateCommands("db", help="Perform database migrations."))


migrate = Migrations()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
socketio = SocketIO()
mail = Mail()
# Rendered pages of the notice board (app/notice/caching.py): Redis or in-process, see create_app.
cache = Cache()


class _Json:
    """JSON for /live packets: a text for people still unrendered (an app.core.i18n Message, a
    lazy string) goes out as its words, never as an encoding error. (Acks and room facts render
    their texts before: app.meetings.events.answer, app.core.locale.for_room.)"""

    loads = staticmethod(_json.loads)

    @staticmethod
    def dumps(data, **options):
        return _json.dumps(data, default=str, **options)


class JsonPacket(Packet):
    """The /live namespace carries JSON only, never binary attachments. Saying so spares
    python-socketio a walk over every value of every payload looking for bytes: for a join into a
    room of 4,000 members that walk cost more (about 50 ms) than reading the room's state."""

    uses_binary_events = False
    json = _Json

