"""`flask audit verify` and `flask audit head`: check the audit log's hash chain from the database."""
import click

from app.core import audit
from app.core.i18n import N_, NP_, Message


@click.group("audit")
def audit_cli():
    """The audit log."""


@audit_cli.command("verify")
@click.option("--head", "expected", metavar="HEX", default=None,
              help="A head kept elsewhere (a backup manifest, a printout): the chain must reach it.")
def verify(expected):
    """Walk the audit log's hash chain; exit 1 naming the first event that breaks it."""
    check = audit.verify_log()
    if not check.ok:
        click.echo(Message(NP_("审计日志哈希链：在%(where)s处断开（此前 %(num)d 个事件完好）。",
                               "审计日志哈希链：在%(where)s处断开（此前 %(num)d 个事件完好）。"),
                           where=str(check.broken), num=check.count))
        raise SystemExit(1)
    click.echo(Message(NP_("审计日志哈希链：%(num)d 个事件完好，链头 %(head)s",
                           "审计日志哈希链：%(num)d 个事件完好，链头 %(head)s"), num=check.count, head=check.head))
    if expected is not None:
        if not audit.chain_reaches(expected):
            click.echo(Message(N_("给定的链头 %(head)s 不在链中：日志在它之后被改写过。"), head=expected))
            raise SystemExit(1)
        click.echo(Message(N_("给定的链头 %(head)s 在链中。"), head=expected))


@audit_cli.command("head")
def head():
    """Print the current head (place and hash), to keep a copy outside the database."""
    seq, chain_head = audit.current_head()
    click.echo(f"{seq} {chain_head}")
