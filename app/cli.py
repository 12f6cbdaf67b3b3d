"""Command-line commands: `flask seed-demo` and friends."""
import time
from datetime import timedelta

import click
from flask import current_app

from app.core.audit_cli import audit_cli
from app.core.timeutil import clock_at, utcnow
from app.notice import snapshots
from app.extensions import db
from app.votes.cli import votes_cli

DEMO_STREET_AGE_DAYS = 45


def _seeding():
    """The demo and street seeders, imported when a command needs them: a serving process never
    does (they are about 2 MiB of code and data)."""
    from app import demo_activity, street_seed
    from app.community import demo

    return demo, demo_activity, street_seed


def register(app):
    app.cli.add_command(votes_cli)
    app.cli.add_command(audit_cli)

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no street yet.")
    @click.option("--residents", default=200, show_default=True, help="Residents per community.")
    def seed_demo(if_empty, residents):
        """Load the demo street: two communities, residents, bodies, one login per role."""
        demo, demo_activity, _ = _seeding()
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
        snapshots.refresh_every_year()   # the statistics page shows figures at once
        click.echo(f"Demo street loaded; every demo login uses the password {demo.DEMO_PASSWORD}.")

    @app.cli.group("demo")
    def demo_cli():
        """Demo data: the small demo street, or a street's ten years for benchmarks."""

    @demo_cli.command("seed")
    @click.option("--scale", type=click.Choice(["demo", "street"]), default="demo", show_default=True,
                  help="demo: two communities and a month (as seed-demo); street: 14 communities, ten years.")
    @click.option("--fraction", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
                  help="For --scale street: this share of every count (0.01 builds a small street fast).")
    @click.option("--residents", default=200, show_default=True, help="For --scale demo: residents per community.")
    def demo_seed(scale, fraction, residents):
        """Load demo data into an empty database."""
        demo, _, street_seed = _seeding()
        if not demo.is_empty():
            raise click.ClickException("the database is not empty")
        if scale == "demo":
            seed_demo.callback(if_empty=False, residents=residents)
            return
        started = time.perf_counter()
        counts = street_seed.build_street(street_seed.Plan.street(fraction),
                                          log=lambda message: click.echo(f"  {message}", err=True))
        years = snapshots.refresh_every_year()
        click.echo(f"  statistics of {len(years)} years counted", err=True)
        for table, count in sorted(counts.items()):
            click.echo(f"{table:>24}: {count:,}")
        click.echo(f"Street of {fraction:g} built in {time.perf_counter() - started:.0f} s; the logins of "
                   f"app/street_seed.py STREET_LOGINS use the password {demo.DEMO_PASSWORD}.")

    @app.cli.command("create-db")
    def create_db():
        """Upgrade the database to the newest migration (alias of `flask db upgrade`)."""
        from flask_migrate import upgrade   # here: a serving process never loads Alembic

        upgrade(directory=current_app.extensions["migrate"].directory, revision="heads")
