"""Every model, imported in one place so the metadata (and Alembic) sees all tables."""
from app.auth.models import ApiToken, User  # noqa: F401
from app.community.models import (  # noqa: F401
    Body, Community, CommunityRole, HandlerMember, HandlerOrg, Household, Membership, Street,
)
from app.core.audit import AuditEvent  # noqa: F401
from app.core.notify import Notification  # noqa: F401
