"""Who is calling the company API: an API key, sent as `Authorization: Bearer ck_<prefix>_<secret>`
(or `X-Api-Key: ck_…`). The row is found by its prefix and the secret compared, in constant time, by
its SHA-256. The key acts for the person who created it, for its company, within its scopes, while
that person is active and still holds the representation the key was made under (one given again
later, after they left, does not revive it); after that it fails like an unknown key — and, its
secret being right, the refused call is still in the company's log.

`request.auth` is a `KeyContext` in every operation; `require_scope(request, Scope.X)` refuses a
key without the scope (403 `scope_missing`). Each key may make API_RATE_LIMIT_PER_MINUTE calls per
minute (a fixed window counted in the cache, Redis in production); beyond that, 429 with
Retry-After."""

import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from ninja.security import APIKeyHeader, HttpBearer

from parties.models import Company, User

from .errors import RATE_LIMITED, SCOPE_MISSING, ApiError, raise_deferred_request_error
from .key_state import with_key_state
from .models import ApiKey, Scope

logger = logging.getLogger(__name__)

KEY_PREFIX = "ck_"
# "ck_" + 12 hex characters (secrets.token_hex(6)) + "_" + the secret (secrets.token_urlsafe(32)).
KEY_FORMAT = re.compile(r"^ck_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_\-]{20,100})$")
# last_used_at is written at most this often per key (one conditional UPDATE).
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class KeyContext:
    """The caller of an operation: the key, its company and the person it acts for."""

    key: ApiKey
    company: Company
    user: User

    def has_scope(self, scope: Scope | str) -> bool:
        return str(scope) in (self.key.scopes or [])


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_context(request: HttpRequest) -> KeyContext:
    """The caller (inside an authenticated operation)."""
    context = getattr(request, "auth", None)
    if not isinstance(context, KeyContext):  # an operation mounted without the API's auth: a bug
        raise RuntimeError("This operation has no API key context.")
    return context


def require_scope(request: HttpRequest, scope: Scope) -> KeyContext:
    context = key_context(request)
    if not context.has_scope(scope):
        raise ApiError(
            403,
            SCOPE_MISSING,
            gettext("This API key may not do this: it lacks the “%(scope)s” scope.") % {"scope": scope.value},
        )
    return context


def authenticate(request: HttpRequest, token: str) -> KeyContext | None:
    """The key's context, or None (the API answers 401 invalid_key). Raises 429 over the rate limit.

    A key with the right secret that no longer qualifies (revoked, its creator gone from the company
    or re-invited since, inactive, now office staff) is refused like an unknown one, but the call is
    the company's business: it goes to the company's log (api/middleware.py) with its 401."""
    match = KEY_FORMAT.match(token.strip())
    if match is None:
        return None
    # Whether the key still works is one rule, shared with the keys page (api/key_state.py).
    key = with_key_state(ApiKey.objects.select_related("company", "created_by")).filter(prefix=match["prefix"]).first()
    if key is None or not hmac.compare_digest(key.secret_sha256, secret_digest(match["secret"])):
        return None
    # The holder of this secret called: the company's log keeps the call whatever the answer.
    request.api_key_called = key  # type: ignore[attr-defined]
    user = key.created_by
    if not key.works:  # type: ignore[attr-defined]  # annotated by with_key_state
        return None
    context = KeyContext(key=key, company=key.company, user=user)
    # From here on the call is the company's: it is logged even when refused (api/middleware.py).
    request.api_key_context = context  # type: ignore[attr-defined]
    _count_call(key)
    _touch(key)
    # A body Django refused to read before the API (too many files, too much data): answered now.
    raise_deferred_request_error(request)
    return context


def _count_call(key: ApiKey) -> None:
    """A fixed one-minute window per key: the first call of the minute adds the counter, each call
    increments it. If the cache is down the call goes through (the limit protects, it is not a rule)."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    now = time.time()
    window = int(now // 60)
    counter = f"api-rate:{key.pk}:{window}"
    try:
        cache.add(counter, 0, timeout=120)
        calls = cache.incr(counter)
    except Exception:  # a cache outage must not take the API down
        logger.warning("API rate limit not counted: the cache did not answer", exc_info=True)
        return
    if calls > limit:
        retry_after = max(1, 60 - int(now % 60))
        raise ApiError(
            429,
            RATE_LIMITED,
            gettext("Too many calls with this API key: at most %(limit)s a minute. Try again in %(seconds)s seconds.")
            % {"limit": limit, "seconds": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


def _touch(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at is not None and key.last_used_at > now - LAST_USED_EVERY:
        return
    # Conditional: of two calls in the same minute only one writes.
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
    ApiKey.objects.filter(stale, pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


class BearerKey(HttpBearer):
    """`Authorization: Bearer ck_…`."""

    def authenticate(self, request: HttpRequest, token: str) -> KeyContext | None:
        return authenticate(request, token)


class HeaderKey(APIKeyHeader):
    """`X-Api-Key: ck_…`, for clients that cannot set Authorization."""

    param_name = "X-Api-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> KeyContext | None:
        return authenticate(request, key) if key else None


API_AUTH = [BearerKey(), HeaderKey()]
