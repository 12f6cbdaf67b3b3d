"""`flask audit verify` and `flask audit head`: check the audit log's hash chain from the database."""
import click

from app.core import audit


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
        click.echo(f"审计日志哈希链：在{check.broken}处断开（此前 {check.count} 个事件完好）。")
        raise SystemExit(1)
    click.echo(f"审计日志哈希链：{check.count} 个事件完好，链头 {check.head}")
    if expected is not None:
        if not audit.chain_reaches(expected):
            click.echo(f"给定的链头 {expected} 不在链中：日志在它之后被改写过。")
            raise SystemExit(1)
        click.echo(f"给定的链头 {expected} 在链中。")


@audit_cli.command("head")
def head():
    """Print the current head (place and hash), to keep a copy outside the database."""
    seq, chain_head = audit.current_head()
    click.echo(f"{seq} {chain_head}")
