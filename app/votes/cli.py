"""`flask votes verify ID`: recompute a closed vote's hash chain and tally from the database."""
import click

from app.extensions import db
from app.votes.models import Vote
from app.votes.present import verify as verify_vote


@click.group("votes")
def votes_cli():
    """Votes held in meetings."""


@votes_cli.command("verify")
@click.argument("vote_id", type=int)
def verify(vote_id):
    """Recompute the chain and the tally of vote VOTE_ID and say whether they match."""
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        raise click.ClickException(f"没有编号为 {vote_id} 的表决。")
    ok, findings = verify_vote(vote)
    click.echo(f"表决 {vote.id}：{vote.title}")
    for line in findings:
        click.echo(f"  {line}")
    if not ok:
        click.echo("结论：不一致，选票或结果在结束后被改动过。")
        raise SystemExit(1)
    click.echo("结论：一致。")
