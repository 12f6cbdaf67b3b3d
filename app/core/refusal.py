"""The one refusal: an action that the rules, the permissions or the input do not allow.

Pure (no Flask, no SQLAlchemy), so every rule module may raise it and every entry kind renders it
the same way: a page flashes it, the API answers `{"error": {"code", "message", "details"}}`,
`/live` acknowledges `{"ok": false, "error": {...}}`. A refusal is a stable `code` with its
parameters; `message` is the text for people. The HTTP status comes from the code alone, through
the one table below; a code it does not list is input the rules refused (422).

The message is a `Message` (app.core.i18n): its msgid is marked with `N_` where the refusal is raised
and is translated, with its parameters, only when it is shown, in the reader's language. A refusal
raised with a plain string (not yet marked) shows that string as it is.
"""
from app.core.i18n import Message, Plural

STATUS = {
    # who you are
    "unauthorized": 401, "missing_token": 401, "invalid_token": 401, "bad_credentials": 401,
    "not_activated": 401, "not_authenticated": 401,
    # what you may do
    "forbidden": 403, "chair_only": 403, "secretary_only": 403, "not_allowed": 403, "not_resident": 403,
    # what you may see (another community's things are "not found", never "forbidden")
    "not_found": 404, "no_such_user": 404, "no_such_resident": 404, "not_member": 404,
    "other_community": 404, "unknown_card": 404, "no_card_code": 404,
    # what the state of things does not allow now
    "conflict": 409, "wrong_state": 409, "wrong_stage": 409, "already_queued": 409, "already_signed": 409,
    "already_answered": 409, "already_accepted": 409, "already_hidden": 409, "already_joined": 409,
    "already_on_agenda": 409, "already_cosigned": 409, "already_extended": 409, "already_cast": 409,
    "household_already_cast": 409, "answered": 409, "closed": 409, "locked": 409, "not_open": 409,
    "not_checked_in": 409, "phone_taken": 409, "stale": 409, "too_many": 409, "vote_closed": 409,
    "vote_open": 409, "vote_void": 409, "window_closed": 409, "window_open": 409, "deadline_passed": 409, "finished": 409,
    "plan_locked": 409, "not_public": 409, "unanswered": 409, "objections_unresolved": 409,
    "objections_pending": 409, "no_objections": 409, "no_final_report": 409, "notice_sent": 409,
    "not_answered": 409, "too_early": 409, "item_not_in_notice": 409,
    "wrong_phase": 409, "voted_on_paper": 409, "voted_online": 409, "no_household": 409,
    # limits
    "file_too_large": 413, "login_wait": 429, "rate_limited": 429,
    # the service
    "bad_request": 400, "server_error": 500, "unavailable": 503,
}
INVALID = 422


def status_of(code):
    """The HTTP status a refusal with this code answers with."""
    return STATUS.get(code, INVALID)


class Refused(Exception):
    """A refused action: `code` for programs, `message` for people, `params` for both.

    `details` is the field errors of a form or request body ({field: [messages]}), when there are
    any; other parameters (who cast a household's vote, how long to wait) travel as `params`.
    """

    def __init__(self, code, message=None, *, details=None, **params):
        super().__init__(code)
        self.code = code
        self.details = details
        self.params = params
        if isinstance(message, Message):
            self._message = message
        elif isinstance(message, (str, Plural)):
            self._message = Message(message, **params)
        else:   # a lazy string from a view, or nothing: the code itself
            self._message = message if message is not None else code

    @property
    def message(self):
        """The text for people, in the language of whoever it is being shown to now."""
        return str(self._message)

    def __str__(self):
        return self.message

    @property
    def status(self):
        return status_of(self.code)

    def to_dict(self):
        body = {"code": self.code, "message": self.message}
        if self.details or self.params:
            body["details"] = self.details or {key: _plain(value) for key, value in self.params.items()}
        return body

    def __repr__(self):
        return f"Refused({self.code!r}, {self.message!r})"


def _plain(value):
    """A parameter as JSON carries it: times as ISO 8601, texts for people as their words."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return str(value)
