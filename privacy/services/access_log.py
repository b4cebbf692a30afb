"""Writing and expiring the access log (who read which case document)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Subquery, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.utils import timezone

from complaints.models import Complaint
from parties.models import User
from privacy.models import AccessLog
from privacy.watched import WATCHED

logger = logging.getLogger("privacy")

USER_AGENT_MAX = 256


def _lookup(watched_model, pk: int, path: str) -> Subquery:
    return Subquery(watched_model.objects.filter(pk=pk).values(path)[:1])


def access_log_record(
    *, user: User, url_name: str, object_id: int, ip: str | None = None, user_agent: str = ""
) -> AccessLog:
    """One row for one read of a declared page (privacy/watched.py). The case's id and number are
    sub-selects inside the INSERT: one statement, whatever the page names."""
    watched = WATCHED[url_name]
    if watched.case_id == "pk":
        case_id: Combinable = Value(object_id)
    elif watched.case_id is None:
        case_id = Subquery(
            Complaint.objects.filter(number=_lookup(watched.model, object_id, watched.case_number)).values("pk")[:1]
        )
    else:
        case_id = _lookup(watched.model, object_id, watched.case_id)
    return AccessLog.objects.create(
        user=user,
        role=user.role,
        url_name=url_name,
        kind=watched.kind,
        object_id=object_id,
        case_id=case_id,
        # A case without a number yet (a draft) stores "".
        case_number=Coalesce(_lookup(watched.model, object_id, watched.case_number), Value("")),
        ip=ip,
        user_agent=user_agent[:USER_AGENT_MAX],
    )


def access_log_purge(*, now=None, batch_size: int = 5000, max_batches: int = 1000) -> int:
    """Delete rows older than ACCESS_LOG_RETENTION_DAYS, oldest first, in short transactions."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
    deleted = 0
    for _batch in range(max_batches):
        with transaction.atomic():
            ids = list(AccessLog.objects.filter(at__lt=cutoff).order_by("at").values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            AccessLog.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < batch_size:
            break
    if deleted:
        logger.info("Access log retention: %s rows older than %s deleted.", deleted, cutoff.date())
    return deleted
