"""Idempotency keys on the API's POSTs: a request retried with the same `Idempotency-Key` header does
nothing twice and gets the first answer again.

    @router.post("/cases/{pk}/answer", response={201: AnswerOut, **error_responses(409, 422)})
    @idempotent
    def case_answer(request, pk: int, ...): ...

With the header (1 to 200 printable characters) the whole operation runs in one transaction that
first INSERTs the key's IdempotentRequest row (unique on key + Idempotency-Key). A concurrent
duplicate waits on that unique index until the first commits, then finds its row and replays it.

- Same key, same request (SHA-256 of method, path with query, and body) → the stored status and JSON,
  with the header `Idempotent-Replayed: true` (api/middleware.py sets it); nothing is done again.
- Same key, another request → 422 `idempotency_key_reused`.
- A 4xx answer is stored too (a retry gets the same refusal); a 5xx rolls everything back, the row
  included, so a retry runs again.
Without the header the operation just runs. A record is kept settings.API_IDEMPOTENCY_HOURS (24 by
default): a retry within that time is answered from it; beat deletes older ones (api/tasks.py,
`idempotency_records_prune`), after which the same key starts a new request.

The body's hash: the raw bytes of a JSON body; for a multipart upload, its fields and each file's
name and content hash (a client retrying a multipart request draws a new boundary, which changes the
raw bytes but not the request)."""

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Status
from ninja.responses import NinjaJSONEncoder
from pydantic import BaseModel

from .auth import key_context
from .errors import IDEMPOTENCY_IN_PROGRESS, IDEMPOTENCY_KEY_REUSED, VALIDATION_ERROR, ApiError, describe
from .models import IdempotentRequest

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_LENGTH = 200
# How long a record answers a retry, unless settings.API_IDEMPOTENCY_HOURS says otherwise.
DEFAULT_HOURS = 24


def idempotency_key_of(request: HttpRequest) -> str | None:
    """The header's value, or None without one; a 400 when it is empty, too long or not printable."""
    value = request.headers.get(HEADER)
    if value is None:
        return None
    if not (1 <= len(value) <= MAX_LENGTH) or not value.isprintable() or not value.isascii():
        raise ApiError(
            400,
            VALIDATION_ERROR,
            gettext("The Idempotency-Key header must have from 1 to %(max)s printable characters.")
            % {"max": MAX_LENGTH},
        )
    return value


def request_digest(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method}\n{request.get_full_path()}\n".encode())
    if request.content_type == "multipart/form-data":
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                digest.update(json.dumps(["field", name, value]).encode())
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                content = hashlib.sha256()
                for chunk in upload.chunks():
                    content.update(chunk)
                upload.seek(0)
                digest.update(json.dumps(["file", name, upload.name, content.hexdigest()]).encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def _as_json(result: Any) -> tuple[int, Any]:
    """(status, JSON) of what an operation returned: Status(...), (status, body), a Schema or a body."""
    status = 200
    if isinstance(result, Status):
        status, result = result.status_code, result.value
    elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], int):
        status, result = result
    if isinstance(result, BaseModel):
        return status, result.model_dump(mode="json")
    return status, json.loads(json.dumps(result, cls=NinjaJSONEncoder))


def idempotent(operation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        idempotency_key = idempotency_key_of(request)
        if idempotency_key is None:
            return operation(request, *args, **kwargs)
        key = key_context(request).key
        digest = request_digest(request)
        failure: ApiError | None = None
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotentRequest.objects.create(
                        key=key, idempotency_key=idempotency_key, request_sha256=digest
                    )
            except IntegrityError:
                # Another request with this key committed first (we waited for it on the unique index).
                return _replay(request, key.pk, idempotency_key, digest)
            try:
                with transaction.atomic():
                    status, body = _as_json(operation(request, *args, **kwargs))
            except Exception as exc:
                failure = describe(exc)
                if failure is None or failure.status >= 500:
                    raise
                status, body = failure.status, failure.body()
            record.status_code = status
            record.response = body
            record.save(update_fields=["status_code", "response"])
        if failure is not None:
            raise failure
        return Status(status, body)

    return run


def _replay(request: HttpRequest, key_id: int, idempotency_key: str, digest: str) -> Any:
    record = IdempotentRequest.objects.get(key_id=key_id, idempotency_key=idempotency_key)
    if record.request_sha256 != digest:
        raise ApiError(
            422,
            IDEMPOTENCY_KEY_REUSED,
            gettext("This Idempotency-Key was already used for a different request. Use a new key for a new request."),
        )
    if record.status_code is None:
        raise ApiError(
            409,
            IDEMPOTENCY_IN_PROGRESS,
            gettext("A request with this Idempotency-Key is still being processed. Try again in a moment."),
        )
    request.idempotent_replayed = True  # type: ignore[attr-defined]
    if record.status_code >= 400:
        raise ApiError.from_body(record.status_code, record.response or {})
    return Status(record.status_code, record.response)


def idempotency_records_prune(*, now: datetime | None = None, batch_size: int = 5000, max_batches: int = 1000) -> int:
    """Delete the records older than API_IDEMPOTENCY_HOURS, oldest first, in short transactions (on
    the `idempotentrequest_created` index). Returns how many went."""
    hours = getattr(settings, "API_IDEMPOTENCY_HOURS", DEFAULT_HOURS)
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    deleted = 0
    for _batch in range(max_batches):
        with transaction.atomic():
            ids = list(
                IdempotentRequest.objects.filter(created_at__lt=cutoff)
                .order_by("created_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            IdempotentRequest.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < batch_size:
            break
    if deleted:
        logger.info("Idempotency records: %s older than %s deleted.", deleted, cutoff.isoformat())
    return deleted
