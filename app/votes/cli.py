"""`flask votes verify ID`: recompute a closed vote's hash chain and tally, and compare its head
with every copy that was published (app/votes/verify.py)."""
import click

from app.extensions import db
from app.votes import verify as vote_verify
from app.votes.models import Vote


@click.group("votes")
def votes_cli():
    """Votes held in meetings."""


@votes_cli.command("verify")
@click.argument("vote_id", type=int)
@click.option("--head", metavar="HEX", default=None, help="The vote's head as you kept it (64 hex digits).")
@click.option("--audit-head", metavar="HEX", default=None,
              help="An audit log head kept elsewhere (a backup manifest): the log must still reach it.")
def verify(vote_id, head, audit_head):
    """Recompute the chain and the tally of vote VOTE_ID and compare with every published head."""
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        raise click.ClickException(f"没有编号为 {vote_id} 的表决。")
    report = vote_verify.verify(vote, head=head, audit_head=audit_head)
    click.echo(f"表决 {vote.id}：{vote.title}")
    for line in report.lines:
        click.echo(f"  {line}")
    if not report.ok:
        against = "、".join(report.disagreeing)
        click.echo(f"结论：不一致{f'，与以下来源不符：{against}' if against else ''}；选票或结果在结束后被改动过。")
        raise SystemExit(1)
    click.echo("结论：一致。")
