"""Reads on notifications. Every view goes through these scoping functions; strangers get a 404."""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from notifications.addresses import bounced_among, normalise
from notifications.feedback import REACHED, SILENT_EVENTS
from notifications.forms import PROVIDER_LOST
from notifications.models import (
    PROVIDER_FAILURES,
    BouncedAddress,
    Channel,
    FormalNotice,
    Notification,
    NotificationRetry,
    Status,
)
from notifications.policy import may_watch_deliveries
from parties.models import User


def inbox_for(user: User) -> QuerySet[Notification]:
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user, channel=Channel.INBOX).order_by("-created_at", "-pk")


# The header's badge reads "99+" past 99: counting further would read every unread message of someone
# who never opens the inbox, on every page they load.
INBOX_UNREAD_CAP = 100


def inbox_unread_count(user: User) -> int:
    """Unread inbox messages, up to INBOX_UNREAD_CAP: at most that many ids read from the
    (recipient, channel, read_at) index, whatever the number of messages."""
    unread = Notification.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True)
    return len(unread.order_by().values_list("pk", flat=True)[:INBOX_UNREAD_CAP])


def inbox_item_for(user: User, pk: int) -> Notification:
    item = inbox_for(user).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def failures_visible_to(user: User) -> QuerySet[Notification]:
    """Failed and dead deliveries, and those the provider reported as not delivered (an undelivered
    SMS, a bounced e-mail: handed over, then lost), for office staff only; not those past retention
    (their text is gone)."""
    if not may_watch_deliveries(user):
        return Notification.objects.none()
    failed = Q(status__in=[Status.FAILED, Status.DEAD]) | Q(provider_status__in=PROVIDER_FAILURES)
    return (
        Notification.objects.filter(failed, redacted_at__isnull=True)
        .select_related("recipient")
        .order_by("-created_at", "-pk")
    )


def failure_filter(
    queryset: QuerySet[Notification], *, status: str = "", channel: str = "", event: str = "", case_number: str = ""
) -> QuerySet[Notification]:
    if status == PROVIDER_LOST:
        queryset = queryset.filter(provider_status__in=PROVIDER_FAILURES)
    elif status:
        queryset = queryset.filter(status=status)
    if channel:
        queryset = queryset.filter(channel=channel)
    if event:
        queryset = queryset.filter(event=event)
    if case_number:
        queryset = queryset.filter(case_number=case_number.strip().upper())
    return queryset


def with_retries(queryset: QuerySet[Notification]) -> QuerySet[Notification]:
    """Each row with its manual retries, newest first: two queries for the whole page."""
    retries = NotificationRetry.objects.select_related("retried_by").order_by("-retried_at", "-pk")
    return queryset.prefetch_related(Prefetch("retries", queryset=retries))


def failure_for(user: User, pk: int) -> Notification:
    item = failures_visible_to(user).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def formal_notices_visible_to(user: User) -> QuerySet[FormalNotice]:
    """Staff see every notice; a representative sees the notices of the companies they actively represent."""
    if not user.is_authenticated:
        return FormalNotice.objects.none()
    queryset = FormalNotice.objects.select_related("company", "opened_by")
    if user.has_staff_role:
        return queryset.order_by("-sent_at", "-pk")
    return queryset.filter(
        company__representations__user=user, company__representations__revoked_at__isnull=True
    ).order_by("-sent_at", "-pk")


def formal_notice_filter(
    queryset: QuerySet[FormalNotice], *, company: int | None = None, case_number: str = "", state: str = ""
) -> QuerySet[FormalNotice]:
    if company:
        queryset = queryset.filter(company_id=company)
    if case_number:
        queryset = queryset.filter(case_number=case_number.strip().upper())
    if state == "unopened":
        queryset = queryset.filter(opened_at__isnull=True)
    elif state == "opened":
        queryset = queryset.filter(opened_at__isnull=False)
    elif state == "served":
        queryset = queryset.filter(served_at__isnull=False)
    elif state == "not_served":
        queryset = queryset.filter(Q(served_at__isnull=True))
    return queryset


def formal_notice_for(user: User, pk: int) -> FormalNotice:
    notice = formal_notices_visible_to(user).filter(pk=pk).first()
    if notice is None:
        raise Http404
    return notice


def deliveries_for_case(case_number: str | None, *, limit: int) -> list[Notification]:
    """The case file's delivery record: the newest `limit` messages about the case, with their
    recipient, what the provider reported and any copy sent by another channel. The office's own
    messages about failed deliveries (feedback.SILENT_EVENTS: written without a case number, older
    ones with one) are not part of it.

    Each row also carries `address_bounced` (its e-mail address is marked as bounced and not
    cleared), `provider_failed` (the provider reported a failure: PROVIDER_FAILURES) and
    `provider_reached` (delivered or read). Three queries whatever the number of rows: the rows
    with their recipients, the copies sent instead of them (`fallbacks`), and the bounced addresses
    among them."""
    if not case_number:
        return []
    fallbacks = Notification.objects.only("pk", "channel", "fallback_of_id", "created_at").order_by("pk")
    rows = list(
        Notification.objects.filter(case_number=case_number)
        .exclude(event__in=SILENT_EVENTS)
        .select_related("recipient")
        .prefetch_related(Prefetch("fallbacks", queryset=fallbacks))
        .order_by("-created_at", "-pk")[:limit]
    )
    emailed = {row.pk: normalise(row.address) for row in rows if row.channel == Channel.EMAIL}
    bounced = bounced_among(set(emailed.values()) - {""})
    for row in rows:
        row.address_bounced = emailed.get(row.pk, "") in bounced  # type: ignore[attr-defined]
        row.provider_failed = row.provider_status in PROVIDER_FAILURES  # type: ignore[attr-defined]
        row.provider_reached = row.provider_status in REACHED  # type: ignore[attr-defined]
    return rows


# --- Bounced addresses (staff) --------------------------------------------------------------------


def bounced_addresses_visible_to(user: User) -> QuerySet[BouncedAddress]:
    """Every address marked as bounced, cleared or not, newest first: for office staff only (the
    failures page's rule); to anyone else there are none."""
    if not may_watch_deliveries(user):
        return BouncedAddress.objects.none()
    return BouncedAddress.objects.select_related("cleared_by", "notification").order_by("-bounced_at", "-pk")


def bounced_address_search(queryset: QuerySet[BouncedAddress], query: str) -> QuerySet[BouncedAddress]:
    """The marks whose address contains `query` (addresses are stored lowercased)."""
    query = query.strip().lower()
    return queryset.filter(address__contains=query) if query else queryset


def bounced_address_for(user: User, pk: int) -> BouncedAddress:
    bounced = bounced_addresses_visible_to(user).filter(pk=pk).first()
    if bounced is None:
        raise Http404
    return bounced
