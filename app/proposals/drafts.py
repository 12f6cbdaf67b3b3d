"""Writing a proposal before it is published: the draft's fields, its words in the search
index, its attachments. The caller commits."""
from flask_babel import gettext as _

from app.core import audit, uploads
from app.core.db import after_commit
from app.core.i18n import N_, NP_
from app.core.refusal import Refused
from app.core.sanitize import clean_text
from app.core.timeutil import utcnow
from app.extensions import db
from app.proposals.models import TERM_INDEX, Proposal, ProposalAttachment, ProposalTerm
from app.proposals.operations import add_follower, settings_for
from app.proposals.workflow import ProposalState

UPLOADS = "proposals"   # the folder of proposal attachments under UPLOAD_DIR
MAX_FILES = 5

# -- drafts ----------------------------------------------------------------

def _clean_fields(settings, title, category, problem, suggestion, place):
    errors = {}
    title = clean_text(title, 120)
    problem = (problem or "").strip()
    suggestion = (suggestion or "").strip()
    if len(title) < 4:
        errors["title"] = [_("标题至少 4 个字。")]
    if category not in settings.categories:
        errors["category"] = [_("请选择本社区的提案类别。")]
    if len(problem) < 10:
        errors["problem"] = [_("请把问题写清楚（至少 10 个字）。")]
    if len(suggestion) < 5:
        errors["suggestion"] = [_("请写出具体的建议（至少 5 个字）。")]
    if len(problem) > 5000 or len(suggestion) > 5000:
        errors.setdefault("problem", []).append(_("问题和建议各不超过 5000 字。"))
    if errors:
        raise Refused("invalid", N_("提案内容不完整：%(problems)s"),
                      problems=" ".join(e[0] for e in errors.values()), details=errors)
    return dict(title=title, category=category, problem=problem, suggestion=suggestion,
                place=clean_text(place, 120))


def create_draft(actor, community, *, title, category, problem, suggestion, place="", files=()):
    """A draft by anyone of the community (unverified users may draft, not publish)."""
    if actor.community_id != community.id:
        raise Refused("forbidden", N_("只有本社区居民可以提出提案。"))
    fields = _clean_fields(settings_for(community), title, category, problem, suggestion, place)
    now = utcnow()
    proposal = Proposal(community_id=community.id, author_id=actor.id,
                        state=ProposalState.draft.value, created_dt=now, updated_dt=now, **fields)
    db.session.add(proposal)
    db.session.flush()
    _index_terms(proposal)
    for filename, data in files:
        add_attachment(actor, proposal, filename, data)
    audit.record("proposal.create", actor=actor, obj=proposal, to_state=ProposalState.draft)
    add_follower(proposal, actor)
    db.session.flush()
    return proposal


def update_draft(actor, proposal, *, title, category, problem, suggestion, place="", files=()):
    if not proposal.can_edit(actor):
        raise (Refused("wrong_state", N_("提案发布后不能再修改。"))
               if actor.id == proposal.author_id else Refused("forbidden", N_("只有提案人可以修改草稿。")))
    fields = _clean_fields(proposal.settings, title, category, problem, suggestion, place)
    for name, value in fields.items():
        setattr(proposal, name, value)
    proposal.updated_dt = utcnow()
    _index_terms(proposal)
    for filename, data in files:
        add_attachment(actor, proposal, filename, data)
    audit.record("proposal.edit", actor=actor, obj=proposal)
    db.session.flush()
    return proposal


def _index_terms(proposal):
    db.session.flush()
    TERM_INDEX.write(db.session, proposal.id, ProposalTerm.terms_of(proposal.title, proposal.problem),
                     community_id=proposal.community_id)


def add_attachment(actor, proposal, filename, data):
    if not proposal.can_edit(actor):
        raise Refused("forbidden", N_("只能在草稿阶段由提案人添加附件。"))
    uploads.check_count(len(proposal.attachments), MAX_FILES,
                        NP_("每个提案最多 %(num)d 个附件。", "每个提案最多 %(num)d 个附件。"), num=MAX_FILES)
    name, kind = uploads.check(filename, data)
    stored = uploads.store(UPLOADS, data, kind, db.session)
    attachment = ProposalAttachment(proposal=proposal, filename=name, stored_name=stored,
                                    content_type=kind, size=len(data))
    db.session.add(attachment)
    return attachment


def remove_attachment(actor, attachment):
    if not attachment.proposal.can_edit(actor):
        raise Refused("forbidden", N_("只能在草稿阶段由提案人删除附件。"))
    stored = attachment.stored_name
    db.session.delete(attachment)
    after_commit(lambda: uploads.remove(UPLOADS, stored))


def load_attachment(proposal, attachment_id):
    """The attachment and where its bytes are; seeing it follows seeing the proposal."""
    found = db.session.get(ProposalAttachment, attachment_id)
    if found is None or found.proposal_id != proposal.id:
        raise Refused("not_found", N_("找不到该附件。"))
    path = uploads.path_of(UPLOADS, found.stored_name)
    if not path.exists():
        raise Refused("not_found", N_("附件文件已不存在。"))
    return found, path
