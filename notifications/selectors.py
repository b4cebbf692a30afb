"""Reads on notifications. Every view goes through these scoping functions; strangers get a 404."""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from notifications.models import Channel, FormalNotice, Notification, NotificationRetry, Status
from parties.models import User


def inbox_for(user: User) -> QuerySet[Notification]:
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user, channel=Channel.INBOX).order_by("-created_at", "-pk")


def inbox_unread_count(user: User) -> int:
    """One COUNT on the (recipient, channel, read_at) index."""
    return Notification.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True).count()


def inbox_item_for(user: User, pk: int) -> Notification:
    item = inbox_for(user).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def failures_visible_to(user: User) -> QuerySet[Notification]:
    """Failed and dead deliveries, for office staff only; not those past retention (their text is gone)."""
    if not user.is_authenticated or not user.has_staff_role:
        return Notification.objects.none()
    return (
        Notification.objects.filter(status__in=[Status.FAILED, Status.DEAD], redacted_at__isnull=True)
        .select_related("recipient")
        .order_by("-created_at", "-pk")
    )


def failure_filter(
    queryset: QuerySet[Notification], *, status: str = "", channel: str = "", event: str = "", case_number: str = ""
) -> QuerySet[Notification]:
    if status:
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
    recipient, what the provider reported and any copy sent by another channel."""
    if not case_number:
        return []
    return list(
        Notification.objects.filter(case_number=case_number).select_related("recipient").order_by("-created_at")[:limit]
    )
