"""Every model, imported in one place so the metadata (and Alembic) sees all tables."""
from app.auth.models import ApiToken, User  # noqa: F401
from app.community.models import (  # noqa: F401
    Body, Community, CommunityRole, HandlerMember, HandlerOrg, Household, Membership, Street,
)
from app.core.audit import AuditEvent  # noqa: F401
from app.core.notify import Notification  # noqa: F401
from app.votes.models import Ballot, Consultation, ConsultationResponse, Vote, VoteParticipation  # noqa: F401
from app.meetings.models import (  # noqa: F401
    AgendaItem, Attendance, ChatMessage, ConveneRequest, ConveneSupporter, Meeting, MeetingMember,
    MinutesSignature, Speaker,
)
from app.proposals.models import (  # noqa: F401
    Proposal, ProposalAttachment, ProposalComment, ProposalCosign, ProposalFollow, ProposalReply,
    ProposalSettings, ProposalTerm,
)
from app.matters.models import (  # noqa: F401
    Matter, MatterAttachment, MatterFollow, MatterObjection, MatterReport, MatterSettings, MatterStep,
)
from app.notice.models import Notice, NoticeIndexState, NoticePosting, NoticeTerm  # noqa: F401
from app.microprojects.models import (  # noqa: F401
    MicroBallot, MicroCosign, MicroFollow, MicroHandlerPerson, MicroIdea, MicroMilestone, MicroPaperTotal,
    MicroParticipation, MicroPhoto, MicroRating, MicroRound, MicroSpending,
)
