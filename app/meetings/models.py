"""Meetings of a body: agenda, the member snapshot, attendance, speakers, chat, minutes, requests."""
import secrets

from app.community.models import MemberRole, Membership, str_enum
from app.core.timeutil import utcnow
from app.extensions import db
from app.meetings.workflow import AttendanceMode, MeetingMode, MeetingState, SpeakerState

DEFAULT_SPEAKER_LIMIT = 180


def can_organise(user, body):
    """Create, edit the agenda, announce, cancel: the body's chair or secretary, or staff."""
    return bool(user and user.is_authenticated) and (
        body.is_chair(user) or body.is_secretary(user) or user.is_staff_of(body.community))


class Meeting(db.Model):
    __tablename__ = "meetings"

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False, index=True)
    body_id = db.Column(db.Integer, db.ForeignKey("bodies.id"), nullable=False, index=True)
    title = db.Column(db.String(120), nullable=False)
    start_dt = db.Column(db.DateTime, nullable=False)
    place = db.Column(db.String(120), nullable=False, default="")
    mode = db.Column(str_enum(MeetingMode, 16), nullable=False, default=MeetingMode.HYBRID)
    video_url = db.Column(db.String(255), nullable=True)
    notice_text = db.Column(db.Text, nullable=True)   # the notice, and the plan where the law asks for it
    state = db.Column(str_enum(MeetingState, 16), nullable=False, default=MeetingState.DRAFT, index=True)
    current_item = db.Column(db.Integer, nullable=False, default=0)
    speaker_limit_seconds = db.Column(db.Integer, nullable=False, default=DEFAULT_SPEAKER_LIMIT)
    hall_secret = db.Column(db.String(64), nullable=False, default=lambda: secrets.token_hex(16))
    notes = db.Column(db.Text, nullable=True)          # the secretary's Markdown notes
    minutes_text = db.Column(db.Text, nullable=True)   # locked Markdown, written when the meeting ends
    cancel_reason = db.Column(db.Text, nullable=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    announced_dt = db.Column(db.DateTime, nullable=True)
    started_dt = db.Column(db.DateTime, nullable=True)
    ended_dt = db.Column(db.DateTime, nullable=True)
    signed_dt = db.Column(db.DateTime, nullable=True)
    # Raised with every fact the live room is told (operations.emit_after_commit), in the same
    # transaction: a screen that sees a version skipped knows it missed something.
    room_version = db.Column(db.Integer, nullable=False, default=0, server_default=db.text("0"))

    community = db.relationship("Community")
    body = db.relationship("Body")
    created_by = db.relationship("User")
    items = db.relationship("AgendaItem", back_populates="meeting", cascade="all, delete-orphan",
                            order_by="AgendaItem.position")
    members = db.relationship("MeetingMember", back_populates="meeting", cascade="all, delete-orphan",
                              order_by="MeetingMember.id")

    # The community's list (operations.meetings_of) pages the past by start, and finds those under
    # way and counts the past (whose body is visible) from the index alone.
    __table_args__ = (db.Index("ix_meetings_community_start", "community_id", "start_dt"),
                      db.Index("ix_meetings_community_state", "community_id", "state", "body_id"))

    def __repr__(self):
        return f"<Meeting {self.id} {self.title}>"

    @property
    def room(self):
        return f"meeting:{self.id}"

    @property
    def current(self):
        return self.items[self.current_item] if 0 <= self.current_item < len(self.items) else None

    def member(self, user):
        """The snapshot row of this user (members when the meeting was announced), or None."""
        if user is None or getattr(user, "id", None) is None:
            return None
        # Asked several times per command (view, chair, record): once per loaded meeting object.
        memo = self.__dict__.setdefault("_member_memo", {})
        if user.id not in memo:
            memo[user.id] = MeetingMember.query.filter_by(meeting_id=self.id, user_id=user.id).first()
        return memo[user.id]

    def _body_role(self, user):
        """The user's current role in the body, by one query (a body may have thousands), once per
        loaded meeting object."""
        memo = self.__dict__.setdefault("_body_role_memo", {})
        if user.id not in memo:
            row = Membership.query.filter_by(body_id=self.body_id, user_id=user.id).first()
            memo[user.id] = row.role if row is not None else None
        return memo[user.id]

    # -- who may do what: one place, used by views, API and the room ------------------
    def can_organise(self, user):
        return can_organise(user, self.body)

    def can_chair(self, user):
        if user is None or not user.is_authenticated:
            return False
        row = self.member(user)
        if row is not None:
            return row.role is MemberRole.CHAIR
        return self._body_role(user) is MemberRole.CHAIR

    def can_record(self, user):
        """Check people in, keep the notes: the secretary, the chair, or community staff."""
        if user is None or not user.is_authenticated:
            return False
        row = self.member(user)
        role = row.role if row is not None else self._body_role(user)
        return role in (MemberRole.CHAIR, MemberRole.SECRETARY) or user.is_staff_of(self.community)

    def can_view(self, user):
        if user is None or not user.is_authenticated:
            return False
        if self.state is MeetingState.DRAFT:
            return self.can_organise(user)
        if self.member(user) is not None or self._body_role(user) is not None or self.can_record(user):
            return True
        return self.body.is_public and user.community_id == self.community_id

    def role_of(self, user):
        if self.can_chair(user):
            return "chair"
        row = self.member(user)
        if row is not None and row.role is MemberRole.SECRETARY:
            return "secretary"
        if row is not None:
            return "member"
        if self.can_record(user):
            return "staff"
        return "observer"


class AgendaItem(db.Model):
    __tablename__ = "agenda_items"

    id = db.Column(db.Integer, primary_key=True)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id"), nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False)
    title = db.Column(db.String(200), nullable=False)
    description = db.Column(db.Text, nullable=True)   # Markdown
    kind = db.Column(db.String(16), nullable=False, default="discussion")  # discussion | proposal | matter
    # No foreign keys yet: the proposals and matters tables are built by other areas.
    proposal_id = db.Column(db.Integer, nullable=True, index=True)
    matter_id = db.Column(db.Integer, nullable=True, index=True)
    # Only an item in the notice members received, as an item for a vote, can be voted on:
    # `noticed_dt` is when it went out to them (the announcement, or a late item added while the
    # notice period still held); None for a late item added for discussion only.
    is_for_vote = db.Column(db.Boolean, nullable=False, default=True, server_default=db.true())
    noticed_dt = db.Column(db.DateTime, nullable=True)

    meeting = db.relationship("Meeting", back_populates="items")

    @property
    def is_late(self):
        """Added after the notice went out."""
        announced = self.meeting.announced_dt if self.meeting is not None else None
        return announced is not None and (self.noticed_dt is None or self.noticed_dt > announced)

    @property
    def is_votable(self):
        return self.is_for_vote and self.noticed_dt is not None


class MeetingMember(db.Model):
    """The body's members when the meeting was announced: quorum and votes count against these."""

    __tablename__ = "meeting_members"

    id = db.Column(db.Integer, primary_key=True)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    role = db.Column(str_enum(MemberRole, 16), nullable=False, default=MemberRole.MEMBER)
    is_voting = db.Column(db.Boolean, nullable=False, default=True)

    meeting = db.relationship("Meeting", back_populates="members")
    user = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("meeting_id", "user_id"),)


class Attendance(db.Model):
    __tablename__ = "attendances"

    id = db.Column(db.Integer, primary_key=True)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    mode = db.Column(str_enum(AttendanceMode, 8), nullable=False)
    checked_in_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    checked_in_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)
    left_dt = db.Column(db.DateTime, nullable=True)   # online members who closed the room

    user = db.relationship("User", foreign_keys=[user_id])
    checked_in_by = db.relationship("User", foreign_keys=[checked_in_by_id])

    __table_args__ = (db.UniqueConstraint("meeting_id", "user_id"),)

    @property
    def is_present(self):
        return self.left_dt is None


class Speaker(db.Model):
    __tablename__ = "speakers"

    id = db.Column(db.Integer, primary_key=True)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    item_index = db.Column(db.Integer, nullable=False, default=0)
    source = db.Column(str_enum(AttendanceMode, 8), nullable=False)
    state = db.Column(str_enum(SpeakerState, 16), nullable=False, default=SpeakerState.WAITING)
    requested_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    started_dt = db.Column(db.DateTime, nullable=True)
    ended_dt = db.Column(db.DateTime, nullable=True)
    limit_seconds = db.Column(db.Integer, nullable=False, default=DEFAULT_SPEAKER_LIMIT)
    added_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)

    user = db.relationship("User", foreign_keys=[user_id])


class ChatMessage(db.Model):
    __tablename__ = "chat_messages"

    id = db.Column(db.Integer, primary_key=True)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    text = db.Column(db.Text, nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    is_hidden = db.Column(db.Boolean, nullable=False, default=False)
    hidden_reason = db.Column(db.String(200), nullable=True)
    hidden_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=True)

    user = db.relationship("User", foreign_keys=[user_id])


class MinutesSignature(db.Model):
    __tablename__ = "minutes_signatures"

    id = db.Column(db.Integer, primary_key=True)
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    signed_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    user = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("meeting_id", "user_id"),)


class ConveneRequest(db.Model):
    """Members asking for a meeting of a body (DESIGN §2); due once the legal share has joined."""

    __tablename__ = "convene_requests"

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.Integer, db.ForeignKey("communities.id"), nullable=False, index=True)
    body_id = db.Column(db.Integer, db.ForeignKey("bodies.id"), nullable=False, index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    subject = db.Column(db.String(200), nullable=False)
    reason = db.Column(db.Text, nullable=True)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)
    reached_dt = db.Column(db.DateTime, nullable=True)    # the share was reached: the meeting is due
    answered_dt = db.Column(db.DateTime, nullable=True)   # a meeting of the body was announced
    meeting_id = db.Column(db.Integer, db.ForeignKey("meetings.id"), nullable=True)

    body = db.relationship("Body")
    created_by = db.relationship("User")
    supporters = db.relationship("ConveneSupporter", back_populates="request",
                                 cascade="all, delete-orphan", order_by="ConveneSupporter.id")

    @property
    def is_due(self):
        return self.reached_dt is not None and self.answered_dt is None


class ConveneSupporter(db.Model):
    __tablename__ = "convene_supporters"

    id = db.Column(db.Integer, primary_key=True)
    request_id = db.Column(db.Integer, db.ForeignKey("convene_requests.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_dt = db.Column(db.DateTime, nullable=False, default=utcnow)

    request = db.relationship("ConveneRequest", back_populates="supporters")
    user = db.relationship("User")

    __table_args__ = (db.UniqueConstraint("request_id", "user_id"),)
