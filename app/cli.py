"""Command-line commands: `flask seed-demo` and friends."""
from datetime import timedelta

import click
from flask import current_app
from flask_migrate import upgrade

from app import demo_activity
from app.community import demo
from app.core.audit_cli import audit_cli
from app.core.timeutil import clock_at, utcnow
from app.extensions import db
from app.votes.cli import votes_cli

DEMO_STREET_AGE_DAYS = 45


def register(app):
    app.cli.add_command(votes_cli)
    app.cli.add_command(audit_cli)

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no street yet.")
    @click.option("--residents", default=200, show_default=True, help="Residents per community.")
    def seed_demo(if_empty, residents):
        """Load the demo street: two communities, residents, bodies, one login per role."""
        if not demo.is_empty():
            if if_empty:
                click.echo("Database already has data; demo not loaded.")
                return
            raise click.ClickException("the database is not empty")
        # The street, its people and bodies were set up before the month of activity that follows.
        with clock_at(utcnow() - timedelta(days=DEMO_STREET_AGE_DAYS)):
            demo.seed(residents_per_community=residents)
            db.session.flush()
        demo_activity.seed_activity()
        db.session.commit()
        click.echo(f"Demo street loaded; every demo login uses the password {demo.DEMO_PASSWORD}.")

    @app.cli.command("create-db")
    def create_db():
        """Upgrade the database to the newest migration (alias of `flask db upgrade`)."""
        upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")
