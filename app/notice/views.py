"""The notice board's pages: the public board, items, print sheets, feed, downloads, statistics,
and the admins' pages for general notices (居务公开).

Everything under /notice is public and needs no account; every page answers conditional GETs.
"""
import threading
import time
from html import escape

import click
import qrcode
import qrcode.image.svg
from cachetools import LRUCache
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app.community.models import Community
from app.community.operations import load_community
from app.core import locale, timeutil
from app.core.forms import ConfirmForm
from app.core.refusal import Refused
from app.core.timeutil import utcnow
from app.core.web import public_url_for, refuse
from app.extensions import db
from app.notice import caching, charts, feed, index, operations, present, rules, snapshots, sources, stats
from app.notice.forms import NoticeForm, WithdrawForm
from app.notice.models import NoticeState
from app.notice.rules import GENERAL_CATEGORIES, PostingKind

bp = Blueprint("notice", __name__)

FEED_SIZE = 50
CSV_MAX = 20000


# -- helpers ---------------------------------------------------------------------------------

def qr_svg(url, label):
    """The QR code of an address as inline SVG (drawn here; nothing is fetched)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return Markup(svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{escape(label)}" ', 1))


def _page_arg():
    return max(1, request.args.get("page", 1, type=int) or 1)


# -- the board -------------------------------------------------------------------------------
#
# Every public view renders through caching.cached(key, produce): `produce` does the work (and
# may answer 404), and its result is kept until the data under it changes (see caching.py).

def _expiry(instants, now):
    """The first instant after now at which content rendered now changes by the clock alone."""
    return min((t for t in instants if t is not None and t > now), default=None)


# The board's page around its rows (heading, kinds, filters, count, pager, links) depends on the
# filters, the page number, the language and facts of the index as a whole (how many postings,
# which years and categories) and the communities' names: each process renders it once per index
# version and keeps it. The rows are read on every request (their statuses change by the clock,
# a community may be renamed). Exact, not time-based: it holds with NOTICE_CACHE_TTL=0 as well,
# while the rows are then rendered on every request (_rows_html).
_shells = LRUCache(maxsize=512)
_shells_lock = threading.Lock()
_ROWS_MARK = "\x00rows\x00"


def _board_shell(filters, page, names, code):
    """(before the rows, after them, title, feed address) of this board page in the language
    `code` (the one in use)."""
    kinds = tuple(sources.available_kinds())
    key = index.version_key("board", filters, page.page, code, request.script_root, kinds,
                            tuple(names.items()))
    if key is not None:
        with _shells_lock:
            found = _shells.get(key)
        if found is not None:
            return found
    title = _("公开栏")
    if filters.community_id in names:
        title = _("%(community)s · 公开栏", community=names[filters.community_id])
    current = filters.as_args()

    def board_url(**changes):
        """This board with some filters changed (None drops one), back on page 1."""
        args = {k: v for k, v in (current | changes).items() if v is not None}
        return url_for(".board", **args)

    api_args = {{"community": "community_id"}.get(k, k): v for k, v in current.items()}
    content = render_template(
        "notice/board.html", filters=filters, page=page, names=names, board_url=board_url,
        api_args=api_args, kinds=kinds, categories=index.categories(filters.kind),
        general_categories=GENERAL_CATEGORIES, years=index.years(), heading=title,
        rows_html=Markup(_ROWS_MARK))
    feed_url = url_for(".feed", **current)
    # The last mark is the list's: whatever follows it (pager, links) is URL-encoded. No mark: an
    # empty page, its list says so.
    before, mark, after = content.rpartition(_ROWS_MARK)
    shell = (before, after, title, feed_url) if mark else (content, "", title, feed_url)
    if key is not None:
        with _shells_lock:
            _shells[key] = shell
    return shell


_item_bases = {}


def _item_base(kind):
    """An item's address without its id (".../proposal/"), built once per kind and root."""
    key = (request.script_root, kind)
    base = _item_bases.get(key)
    if base is None:
        base = _item_bases[key] = url_for(".item", kind=kind, source_id=0)[:-1]   # ".../0"
    return base


def _rows(items, now, names, code):
    """The rows of the board's list (_row_html): plain values, the words in the reader's language
    `code` and the dates from the tables that keep them (present.words, present.days)."""
    words, days, content = present.words(code), present.days, present.content
    bases = {}
    rows = []
    # Unpacked in index.BOARD_ROW's order (a row's attributes cost more than its tuple).
    for (kind, source_id, community_id, title, category, published_dt, status, status_until,
         status_after, summary) in items:
        base = bases.get(kind)
        if base is None:
            base = bases[kind] = _item_base(kind)
        if category:
            category = words[category] if kind == "general" else content[category]
        rows.append((kind, source_id, base + str(int(source_id)), title, words[rules.KIND_LABELS[kind]],
                     names.get(community_id, ""), category,
                     words[rules.status_at(status, status_until, status_after, now)],
                     published_dt.isoformat(), days[timeutil.to_local(published_dt).date()], summary))
    return rows


# One row of the board's list. The board's hottest path renders twenty of these per request with
# its cache off, so they are written by one format string (people's text escaped, the labels
# escaped once per process) instead of a Jinja loop, which costs three times as much.
_ROW_HTML = (
    '<li class="posting-row" id="posting-{0}-{1}">'
    '<h2 class="posting-title"><a href="{2}">{3}</a></h2>'
    '<p class="meta"><span class="kind-badge kind-{0}">{4}</span> <span>{5}</span> {6}'
    '<span class="status">{7}</span> <span><time datetime="{8}Z">{9}</time></span></p>{10}</li>\n')


def _html(value):
    """A value as HTML text: Markup as it is, anything else escaped."""
    return value if isinstance(value, Markup) else escape(str(value))


_labels_html = {}


def _label_html(label):
    """A kind's or a status's name in the reader's language, escaped once per process."""
    found = _labels_html.get(label)
    if found is None:
        found = _labels_html[label] = _html(label)
    return found


def _row_html(row):
    # The kind (an enum's value), the id, the address (url_for's) and the two dates are written
    # by Yishi in ASCII without markup; the labels are the catalogue's; the rest is people's text.
    kind, source_id, url, title, kind_label, community, category, status, iso, day, summary = row
    return _ROW_HTML.format(
        kind, source_id, url, _html(title), _label_html(kind_label), _html(community),
        f"<span>{_html(category)}</span> " if category else "", _label_html(status), iso, day,
        f'<p class="summary">{_html(summary)}</p>' if summary else "")


# A row's HTML is a function of its values alone (every one of them is in its tuple, in the
# reader's language): each process keeps the last few thousand, and a page renders only the rows
# it has not shown before in that form (a new posting, a status moved on, a community renamed).
# Not with the pages' cache off: then every row is read and rendered on every request, which is
# what the bench's "cache off" row measures against the bare page that renders the same rows.
_row_html_memo = LRUCache(maxsize=4096)
_row_html_lock = threading.Lock()


def _rows_html(rows):
    if not caching.ttl():   # the cache off: every row rendered
        return "".join(map(_row_html, rows))
    with _row_html_lock:
        found = [_row_html_memo.get(row) for row in rows]
    missing = {row: _row_html(row) for row, html in zip(rows, found) if html is None}
    if missing:
        with _row_html_lock:
            _row_html_memo.update(missing)
    return "".join(html if html is not None else missing[row] for row, html in zip(rows, found))


@bp.route("/notice/")
def board():
    filters = index.Filters.from_args(request.args)
    page_no = _page_arg()

    def produce():
        now = utcnow()
        names = present.community_names()   # first: the index's version is read with them
        page = index.find(filters, page=page_no, columns=index.BOARD_ROW)
        code = locale.current()
        before, after, title, feed_url = _board_shell(filters, page, names, code)
        rows = _rows_html(_rows(page.items, now, names, code))
        return caching.Rendered(before + rows + after, title=title, feed_url=feed_url,
                                expires_dt=_expiry([p.status_until for p in page.items], now))

    return caching.framed(caching.cached(("board", filters, page_no), produce))


@bp.route("/c/<int:community_id>/notice")
def community_board(community_id):
    """A community's own board: the street's board filtered to it (a stable, short address)."""
    if community_id not in present.community_names():
        abort(404)
    return redirect(url_for(".board", community=community_id))


def _latest_entries(filters, limit):
    now = utcnow()
    postings = index.latest(filters, limit)
    return present.entries_of(postings, now), _expiry([p.status_until for p in postings], now)


@bp.route("/notice/feed.atom", endpoint="feed")
def feed_atom():
    filters = index.Filters.from_args(request.args)

    def produce():
        names = present.community_names()
        title = _("议事 · 公开栏")
        if filters.community_id in names:
            title = _("%(community)s · 公开栏", community=names[filters.community_id])
        if filters.kind:
            title += f" · {_(rules.PostingKind(filters.kind).label)}"
        entries, expires = _latest_entries(filters, FEED_SIZE)
        body = feed.atom(title=title, feed_url=public_url_for(".feed", **filters.as_args()),
                         board_url=public_url_for(".board", **filters.as_args()),
                         entries=entries, now=utcnow())
        return caching.Rendered(body, expires_dt=expires)

    rendered = caching.cached(("feed", filters), produce)
    return caching.conditional(rendered.content, "application/atom+xml", digest=rendered.digest)


@bp.route("/notice/export.csv")
def export_csv():
    filters = index.Filters.from_args(request.args)

    def produce():
        entries, expires = _latest_entries(filters, CSV_MAX)
        return caching.Rendered(feed.list_csv(entries), expires_dt=expires)

    rendered = caching.cached(("csv", filters), produce)
    return caching.conditional(rendered.content, "text/csv", filename="notice-board.csv",
                               digest=rendered.digest)


# -- one item --------------------------------------------------------------------------------

def _load(kind, source_id):
    source = sources.get(kind)
    record = source.load_public(source_id) if source is not None else None
    if record is None:
        abort(404)
    return source, record


def _item_context(source, record, now):
    entry = source.entry(record, now)
    return source.template_extra(record) | {
        "kind": source.kind, "record": record, "entry": entry,
        "status": entry.status.at(now), "detail": source.detail(record, now), "now": now,
        "community": db.session.get(Community, entry.community_id),
        "url": present.item_url(source.kind, record.id),
        "permalink": present.item_url(source.kind, record.id, external=True),
    }


def _item_expiry(context, now):
    deadline = context["detail"].get("deadline") or {}
    return _expiry([context["entry"].status.until, deadline.get("due_dt"),
                    context["detail"].get("objection_end_dt")], now)


@bp.route("/notice/<kind>/<int:source_id>")
def item(kind, source_id):
    def produce():
        now = utcnow()
        source, record = _load(kind, source_id)
        context = _item_context(source, record, now)
        return caching.Rendered(
            render_template("notice/item.html", **context),
            title=f"{context['entry'].title} · {_(source.kind.label)}",
            stylesheets=("css/matters.css",) if source.kind.is_matter else (),
            expires_dt=_item_expiry(context, now))

    return caching.framed(caching.cached(("item", kind, source_id), produce))


@bp.route("/notice/<kind>/<int:source_id>/print")
def print_sheet(kind, source_id):
    """The A4 sheet for the physical board, with a QR code back to the item's page."""
    def produce():
        now = utcnow()
        source, record = _load(kind, source_id)
        context = _item_context(source, record, now)
        context["qr"] = qr_svg(context["permalink"], _("扫码查看网上原文"))
        return caching.Rendered(render_template("notice/print.html", printing=True, **context),
                                expires_dt=_item_expiry(context, now))

    rendered = caching.cached(("print", kind, source_id), produce)
    return caching.conditional(rendered.content, "text/html", digest=rendered.digest)


# -- statistics ------------------------------------------------------------------------------

def _stats_args(now):
    year = rules.clamp_year(request.args.get("year"), now)
    community_id = request.args.get("community", type=int)
    names = present.community_names()
    if community_id is not None and community_id not in names:
        community_id = None
    return year, community_id, names


@bp.route("/notice/stats")
def stats_page():
    year, community_id, names = _stats_args(utcnow())
    snapshot = snapshots.current(year)

    def produce():
        now = utcnow()
        overview = snapshot.overview(community_id, names.items())
        scope = names.get(community_id) or _("全街道")
        total = overview.total
        months = [_("%(month)s收到 %(received)d 件、答复 %(answered)d 件", month=_(m), received=r, answered=a)
                  for m, r, a in zip(stats.MONTHS, overview.months_received, overview.months_answered) if r or a]
        month_chart = charts.grouped_bars(
            "chart-months", _("%(year)d 年每月收到和答复的提案（%(scope)s）", year=year, scope=scope),
            _("按月的柱状图；确切数字见下方表格。") + _("；").join(months),
            stats.MONTH_TICKS, [(_("收到"), overview.months_received, "bar-received"),
                                (_("答复"), overview.months_answered, "bar-answered")])
        rates = [(_("立案率"), total.acceptance_rate), (_("按时答复率"), total.on_time_rate),
                 (_("满意率"), total.satisfaction_rate), (_("会议出席率"), total.attendance_rate)]
        rate_chart = charts.percent_bars(
            "chart-rates", _("%(year)d 年各项比率（%(scope)s）", year=year, scope=scope),
            _("；").join(f"{label} {rules.percent(value)}" for label, value in rates), rates)
        content = render_template(
            "notice/stats.html", year=year, community_id=community_id, names=names,
            overview=overview, scope=scope, computed_dt=snapshot.computed_dt,
            years=stats.years_since(snapshot.figures.get("first_year"), now),
            month_chart=Markup(month_chart), rate_chart=Markup(rate_chart), percent=rules.percent)
        return caching.Rendered(content, title=_("%(year)d 年统计 · 公开栏", year=year))

    return caching.framed(caching.cached(("stats", year, community_id, snapshot.computed_dt), produce))


@bp.route("/notice/stats.csv")
def stats_csv():
    year, community_id, names = _stats_args(utcnow())
    snapshot = snapshots.current(year)

    def produce():
        overview = snapshot.overview(community_id, names.items())
        return caching.Rendered(feed.stats_csv(present.stats_rows(overview)))

    rendered = caching.cached(("stats.csv", year, community_id, snapshot.computed_dt), produce)
    return caching.conditional(rendered.content, "text/csv", digest=rendered.digest,
                               filename=f"notice-stats-{year}.csv")


# -- general notices: the admins' pages ------------------------------------------------------

def _notice_form(notice=None):
    return NoticeForm(obj=notice)


@bp.route("/c/<int:community_id>/notices/", methods=["GET", "POST"])
@login_required
def manage(community_id):
    """The community's general notices, drafts included, and a form for a new one."""
    community = load_community(current_user, community_id, admin=True)
    form = _notice_form()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                notice = operations.create(current_user, community, title=form.title.data,
                                           category=form.category.data, body=form.body.data,
                                           publish_now=request.form.get("publish") == "1")
                flash(_("公告已发布。") if notice.is_public else _("草稿已保存，发布后才会出现在公开栏。"),
                      "success")
                return redirect(url_for(".edit", community_id=community.id, notice_id=notice.id))
            except Refused as exc:
                status = refuse(exc)
        else:
            status = 422
    return render_template("notice/manage.html", community=community, form=form,
                           notices=operations.notices_of(community), NoticeState=NoticeState,
                           confirm=ConfirmForm(formdata=None)), status


def _load_notice(community_id, notice_id):
    community = load_community(current_user, community_id, admin=True)
    notice = operations.load(notice_id, current_user)
    if notice.community_id != community.id:
        abort(404)
    return community, notice


@bp.route("/c/<int:community_id>/notices/<int:notice_id>", methods=["GET", "POST"])
@login_required
def edit(community_id, notice_id):
    community, notice = _load_notice(community_id, notice_id)
    form = _notice_form(notice)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                operations.update(current_user, notice, title=form.title.data,
                                  category=form.category.data, body=form.body.data)
                flash(_("公告已保存。"), "success")
                return redirect(url_for(".edit", community_id=community.id, notice_id=notice.id))
            except Refused as exc:
                status = refuse(exc)
                community, notice = _load_notice(community_id, notice_id)
        else:
            status = 422
    return render_template("notice/edit.html", community=community, notice=notice, form=form,
                           withdraw_form=WithdrawForm(formdata=None),
                           confirm=ConfirmForm(formdata=None), NoticeState=NoticeState,
                           public_url=present.item_url(PostingKind.general, notice.id)), status


@bp.route("/c/<int:community_id>/notices/<int:notice_id>/publish", methods=["POST"])
@login_required
def publish(community_id, notice_id):
    community, notice = _load_notice(community_id, notice_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.publish(current_user, notice)
        flash(_("公告已发布到公开栏。"), "success")
    except Refused as exc:
        refuse(exc)
    return redirect(url_for(".edit", community_id=community.id, notice_id=notice_id))


@bp.route("/c/<int:community_id>/notices/<int:notice_id>/withdraw", methods=["POST"])
@login_required
def withdraw(community_id, notice_id):
    community, notice = _load_notice(community_id, notice_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(_("请说明撤下的理由。"), "error")
        return redirect(url_for(".edit", community_id=community.id, notice_id=notice_id))
    try:
        operations.withdraw(current_user, notice, form.reason.data)
        flash(_("公告已从公开栏撤下。"), "success")
    except Refused as exc:
        refuse(exc)
    return redirect(url_for(".edit", community_id=community.id, notice_id=notice_id))


# -- command line ----------------------------------------------------------------------------

@bp.cli.command("reindex")
def reindex_command():
    """Rebuild the notice board's index from proposals, meetings, matters and notices."""
    counts = index.reindex()
    click.echo("notice board reindexed: " + ", ".join(f"{k} {n}" for k, n in counts.items()))


@bp.cli.group("stats")
def stats_cli():
    """The statistics' snapshots (what /notice/stats and the API read)."""


@stats_cli.command("refresh")
@click.option("--year", "years", type=int, multiple=True, help="A year to recount (repeatable). Default: this year.")
@click.option("--all", "every_year", is_flag=True, help="Every year the board has (for a first run, or after an import).")
def stats_refresh_command(years, every_year):
    """Recount the statistics' snapshots (run it from cron more often than NOTICE_STATS_MAX_AGE)."""
    now = utcnow()
    if every_year:
        years = stats.available_years(now)
    for year in years or [rules.local_year(now)]:
        started = time.perf_counter()
        snapshots.refresh(year)
        click.echo(f"statistics of {year} counted in {time.perf_counter() - started:.1f} s")
