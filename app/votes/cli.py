"""`flask votes verify ID`: recompute a closed vote's hash chain and tally, and compare its head
with every copy that was published (app/votes/verify.py)."""
import click

from sqlalchemy import select

from app.core import audit
from app.extensions import db
from app.votes import verify as vote_verify
from app.votes.models import Vote, VoteState


@click.group("votes")
def votes_cli():
    """Votes held in meetings."""


@votes_cli.command("verify")
@click.argument("vote_id", type=int, required=False)
@click.option("--all", "every", is_flag=True, help="Every closed vote, against one walk of the audit log.")
@click.option("--head", metavar="HEX", default=None, help="The vote's head as you kept it (64 hex digits).")
@click.option("--audit-head", metavar="HEX", default=None,
              help="An audit log head kept elsewhere (a backup manifest): the log must still reach it.")
def verify(vote_id, head, audit_head, every):
    """Recompute the chain and the tally of vote VOTE_ID and compare with every published head."""
    if every:
        _verify_every(audit_head)
        return
    if vote_id is None:
        raise click.UsageError("name a VOTE_ID, or give --all.")
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


def _verify_every(audit_head):
    """Each closed vote in turn, one line each; the audit log walked once for all of them."""
    check = audit.verify_log()
    click.echo(f"审计日志哈希链：{check.count} 个事件{'完好' if check.ok else f'，在{check.broken}处断开'}")
    ids = db.session.scalars(select(Vote.id).where(Vote.state == VoteState.CLOSED).order_by(Vote.id)).all()
    failed = []
    for vote_id in ids:
        report = vote_verify.verify(db.session.get(Vote, vote_id), audit_head=audit_head, audit_check=check)
        if not report.ok:
            failed.append(vote_id)
            click.echo(f"表决 {vote_id}：不一致（{'、'.join(report.disagreeing) or '重新计票或链不符'}）")
        db.session.expunge_all()   # thousands of votes: keep the session small
    click.echo(f"{len(ids)} 项已结束的表决，{len(ids) - len(failed)} 项一致，{len(failed)} 项不一致。")
    if failed or not check.ok:
        raise SystemExit(1)
