"""The login throttle: password guessing is stopped per account, a hall behind one address is not.

Wrong passwords (and activation codes) are counted per phone number in Flask-Limiter's storage
(Redis when RATELIMIT_STORAGE_URI names it, so every process shares the count). After
LOGIN_LIMIT_PER_ACCOUNT of them the account waits, longer with each further failure, and even the
right password is refused until the wait is over: otherwise the guessing would simply go on.

Per client address the forms are limited only at rates no real hall reaches: failed attempts
(LOGIN_LIMIT_PER_ADDRESS) and all attempts (LOGIN_ATTEMPTS_PER_ADDRESS). The address is
request.remote_addr, which ProxyFix takes from X-Forwarded-For only for TRUSTED_PROXIES proxies.
"""
import hashlib
import time

from flask import current_app, has_request_context, request

from app.auth.rules import login_wait_seconds, wait_in_minutes
from app.core.i18n import NP_
from app.core.refusal import Refused
from app.extensions import limiter

# Marks a request whose secret was wrong (the request's own environ: `g` may outlive one request).
_FAILED = "yishi.login_failed"
# A run of failures is forgotten a day after its first one, and at once on a success.
FAILURE_MEMORY_SECONDS = 24 * 3600


def must_wait(seconds, what):
    """The account waits (`login_wait`): the message says for how long in minutes, and
    `details.retry_after` in seconds (the Retry-After header of the answer)."""
    retry_after = max(1, int(seconds + 0.999))
    return Refused("login_wait", what, details={"retry_after": retry_after}, num=wait_in_minutes(retry_after))


class AccountGuard:
    """The failures of one kind of secret (password, activation code), counted per phone number.
    Unknown numbers are counted like known ones, so the throttle tells nobody which exist."""

    def __init__(self, kind, what):
        self.kind = kind
        self.what = what

    def check(self, phone):
        """Raises login_wait while the account waits."""
        storage = _storage()
        if storage is None:
            return
        key = self._key(phone, "wait")
        if storage.get(key):
            raise must_wait(storage.get_expiry(key) - time.time(), self.what)

    def failed(self, phone):
        """Counts a failure (for the address too); raises login_wait when it starts a wait."""
        if has_request_context():
            request.environ[_FAILED] = True
        storage = _storage()
        if storage is None:
            return
        failures = storage.incr(self._key(phone, "failures"), FAILURE_MEMORY_SECONDS)
        config = current_app.config
        wait = login_wait_seconds(failures, free=config["LOGIN_LIMIT_PER_ACCOUNT"],
                                  first=config["LOGIN_ACCOUNT_WAIT_SECONDS"],
                                  cap=config["LOGIN_ACCOUNT_MAX_WAIT_SECONDS"])
        if wait:
            key = self._key(phone, "wait")
            storage.clear(key)
            storage.incr(key, wait)  # the key lives exactly as long as the wait
            raise must_wait(wait, self.what)

    def succeeded(self, phone):
        storage = _storage()
        if storage is None:
            return
        storage.clear(self._key(phone, "failures"))
        storage.clear(self._key(phone, "wait"))

    def _key(self, phone, part):
        # Hashed: the shared store holds no phone numbers.
        digest = hashlib.sha256((phone or "").strip().encode()).hexdigest()[:32]
        return f"yishi-login/{self.kind}/{part}/{digest}"


# `what` is the refusal's message when the account must wait, with the minutes as `num`.
passwords = AccountGuard("password", NP_("密码错误次数过多，请 %(num)d 分钟后再试。",
                                         "密码错误次数过多，请 %(num)d 分钟后再试。"))
activation_codes = AccountGuard("activation", NP_("激活码错误次数过多，请 %(num)d 分钟后再试。",
                                                  "激活码错误次数过多，请 %(num)d 分钟后再试。"))


def _storage():
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    return limiter.storage


def _failed_here(response):
    return bool(request.environ.get(_FAILED))


def per_address(view):
    """The limits per client address of a form or endpoint that takes a secret (POST only)."""
    view = limiter.limit(_configured("LOGIN_ATTEMPTS_PER_ADDRESS"), methods=["POST"],
                         scope="attempts")(view)
    return limiter.limit(_configured("LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"], scope="failures",
                         deduct_when=_failed_here)(view)


def _configured(name):
    # Read at each request: the configuration, not the import, decides.
    return lambda: current_app.config[name]
