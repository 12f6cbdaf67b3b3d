"""The notice board's pages of the micro-project fund (民生微实事): every round in public with its
ideas and their screening, the shortlist and its meeting, the vote's result with the rule, each
project's progress and spending, the money; a print sheet, an Atom feed, JSON and CSV, the receipts
of the vote, and statistics with charts. Public, no account."""
import csv
import io
import json
from fractions import Fraction

from flask import Response, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from app.community.models import Community
from app.core.timeutil import utcnow
from app.core.web import public_url_for
from app.extensions import db
from app.microprojects import operations as ops, rules, voting
from app.microprojects.models import MicroMilestone, MicroRating, MicroRound, MicroSpending
from app.notice import charts, feed, rules as notice_rules
from app.notice.micro_data import context, data_of
from app.notice.views import bp, qr_svg


def _round(round_id):
    found = ops.get_round(None, round_id)
    voting.settle(found)
    return found


@bp.route("/notice/micro/")
def micro_index():
    community_id = request.args.get("community", type=int)
    query = MicroRound.query.order_by(MicroRound.year.desc(), MicroRound.id.desc())
    if community_id:
        query = query.filter_by(community_id=community_id)
    rounds = query.limit(200).all()
    return render_template("notice/micro_index.html", rounds=rounds, now=utcnow(),
                           communities=Community.query.order_by(Community.name).all(),
                           community_id=community_id)


@bp.route("/notice/micro/<int:round_id>")
def micro_round(round_id):
    return render_template("notice/micro_round.html", **context(_round(round_id)))


@bp.route("/notice/micro/<int:round_id>/print")
def micro_print(round_id):
    values = context(_round(round_id))
    values["qr"] = qr_svg(values["permalink"], _("扫码查看网上原文"))
    return render_template("notice/micro_print.html", printing=True, **values)


@bp.route("/notice/micro/<int:round_id>/receipts")
def micro_receipts(round_id):
    """After the vote: every online ballot's receipt with its choice, and a lookup by receipt."""
    round_ = _round(round_id)
    rows = voting.receipts(round_)
    titles = {i.id: i.title for i in round_.ideas}
    code = (request.args.get("code") or "").strip().upper()
    found = next((r for r in rows if r[0] == code), None) if code else None
    return render_template("notice/micro_receipts.html", round=round_, rows=rows, titles=titles, code=code,
                           found=found, community=round_.community)


@bp.route("/notice/micro/<int:round_id>.json")
def micro_json(round_id):
    body = json.dumps(data_of(_round(round_id)), ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json")


CSV_HEADER = ("id", "title", "kind", "category", "source", "cosign_count", "screening", "ground",
              "estimate_fen", "is_shortlisted", "votes", "rank", "is_funded", "progress", "spent_fen",
              "accepted", "confirmed")


@bp.route("/notice/micro/<int:round_id>.csv")
def micro_csv(round_id):
    data = data_of(_round(round_id))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for idea in data["ideas"]:
        writer.writerow(["" if idea[k] is None else idea[k] for k in CSV_HEADER])
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename=microprojects-{round_id}.csv"
    return response


@bp.route("/notice/micro/feed.atom")
def micro_feed():
    now = utcnow()
    entries = []
    for round_ in MicroRound.query.order_by(MicroRound.updated_dt.desc()).limit(50):
        view = round_.phase(now)
        entries.append({"title": round_.title, "url": public_url_for("notice.micro_round", round_id=round_.id),
                        "published_dt": round_.created_dt, "updated_dt": round_.updated_dt,
                        "kind": "micro", "kind_label": _("民生微实事"), "category": str(round_.year),
                        "community": round_.community.name, "status": _(view.phase.label),
                        "summary": _("资金 %(yuan)s 元", yuan=rules.yuan(round_.fund_fen))})
    body = feed.atom(title=_("公开栏 · 民生微实事"), feed_url=public_url_for("notice.micro_feed"),
                     board_url=public_url_for("notice.micro_index"), entries=entries, now=now)
    return Response(body, mimetype="application/atom+xml")


# -- statistics ----------------------------------------------------------------------------------

def statistics(rounds):
    """Per round: turnout, share of the fund spent, milestones done on time, satisfaction."""
    rows = []
    for round_ in rounds:
        funding = round_.funding
        turnout = voting.stored_turnout(round_) if funding else None
        funded_ids = funding.funded_ids if funding else []
        # int(): PostgreSQL sums a BIGINT as NUMERIC (a Decimal here).
        spent = int(db.session.scalar(db.select(db.func.coalesce(db.func.sum(MicroSpending.amount_fen), 0))
                                      .where(MicroSpending.idea_id.in_(funded_ids)))) if funded_ids else 0
        milestones = db.session.execute(db.select(MicroMilestone.due_dt, MicroMilestone.done_dt)
                                        .where(MicroMilestone.idea_id.in_(funded_ids))).all() if funded_ids else []
        on_time, done = rules.on_time_share([(m.due_dt, m.done_dt) for m in milestones])
        ratings = dict(db.session.execute(db.select(MicroRating.rating, db.func.count())
                                          .where(MicroRating.idea_id.in_(funded_ids))
                                          .group_by(MicroRating.rating)).all()) if funded_ids else {}
        rated = sum(ratings.values())
        rows.append({
            "round": round_, "turnout": turnout,
            "turnout_share": Fraction(turnout["voted"], turnout["eligible"]) if turnout and turnout["eligible"] else None,
            "spent_fen": spent,
            "spent_share": min(Fraction(spent, round_.fund_fen), Fraction(1)) if round_.fund_fen else None,
            "on_time": on_time, "done": done, "on_time_share": Fraction(on_time, done) if done else None,
            "ratings": ratings, "rated": rated,
            "satisfied_share": Fraction(ratings.get("satisfied", 0) + ratings.get("basic", 0), rated) if rated else None,
        })
    return rows


@bp.route("/notice/micro/stats")
def micro_stats():
    community_id = request.args.get("community", type=int)
    query = MicroRound.query.filter(MicroRound.results_json.isnot(None))
    if community_id:
        query = query.filter_by(community_id=community_id)
    rows = statistics(query.order_by(MicroRound.year, MicroRound.id).limit(40).all())

    def chart(key, chart_id, title):
        return charts.percent_bars(chart_id, title, title, [(f"{r['round'].year} {r['round'].community.name}"[:12],
                                                             r[key]) for r in rows])
    figures = {key: Markup(svg) for key, svg in {
        "turnout": chart("turnout_share", "micro-turnout", _("投票率")),
        "spent": chart("spent_share", "micro-spent", _("资金使用率")),
        "on_time": chart("on_time_share", "micro-on-time", _("节点按期完成率")),
        "satisfaction": chart("satisfied_share", "micro-satisfaction", _("满意率（满意与基本满意）")),
    }.items()}
    return render_template("notice/micro_stats.html", rows=rows, figures=figures, community_id=community_id,
                           percent=notice_rules.percent,
                           communities=Community.query.order_by(Community.name).all())
