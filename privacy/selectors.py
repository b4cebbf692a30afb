"""Reads of the privacy floor: the access log search, the data requests, a person's own data."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from complaints import actions
from complaints.models import CaseEvent, Complaint, Evidence
from notifications.models import Notification
from notifications.rendering import ensure_rendered
from parties.models import ConsumerProfile, Role, User
from privacy.models import AccessLog, DataRequest


def access_log_visible_to(user: User) -> QuerySet[AccessLog]:
    """Supervisors see the whole log; nobody else sees any of it."""
    if user.role != Role.SUPERVISOR:
        return AccessLog.objects.none()
    return AccessLog.objects.select_related("user").order_by("-at", "-id")


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def access_log_filter(
    rows: QuerySet[AccessLog],
    *,
    case_number: str = "",
    user: str = "",
    role: str = "",
    kind: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AccessLog]:
    """`user` is a whole e-mail address (matched exactly) or its start; the dates are the office's days, inclusive."""
    if case_number:
        rows = rows.filter(case_number=case_number.strip().upper())
    if user:
        text = user.strip().lower()
        _name, at, domain = text.partition("@")
        rows = rows.filter(Q(user__email=text) if at and "." in domain else Q(user__email__startswith=text))
    if role:
        rows = rows.filter(role=role)
    if kind:
        rows = rows.filter(kind=kind)
    if since:
        rows = rows.filter(at__gte=_start_of(since))
    if until:
        rows = rows.filter(at__lt=_start_of(until + timedelta(days=1)))
    return rows


def data_requests_visible_to(user: User) -> QuerySet[DataRequest]:
    if user.role != Role.SUPERVISOR:
        return DataRequest.objects.none()
    return DataRequest.objects.select_related("user", "handled_by")


def data_request_for(user: User, pk: int) -> DataRequest:
    found = data_requests_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# --- A person's own data (Ley 25.326 art. 14: the right of access) ---------------------------------


def _moment(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data_of(user: User) -> dict[str, Any]:
    """Everything the platform holds about `user` as a consumer, and nothing about anyone else:
    their account and profile, the cases they filed (with events and evidence metadata), the
    messages sent to them, and their requests about their data."""
    profile = ConsumerProfile.objects.filter(user=user).first()
    cases = (
        Complaint.objects.filter(consumer=user)
        .select_related("company")
        .prefetch_related(
            Prefetch("events", queryset=CaseEvent.objects.order_by("created_at", "pk")),
            Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at", "pk")),
        )
        .order_by("created_at", "pk")
    )
    messages = list(Notification.objects.filter(recipient=user).order_by("created_at", "pk"))
    ensure_rendered(messages)  # the ones the worker has not reached yet: their words are theirs too
    return {
        "generated_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "preferred_language": user.preferred_language,
            "date_joined": _moment(user.date_joined),
            "last_login": _moment(user.last_login),
        },
        "consumer_profile": _profile(profile) if profile else None,
        "cases": [_case(case) for case in cases],
        "notifications": [_message(row) for row in messages],
        "data_requests": [
            {
                "kind": row.kind,
                "case_number": row.case_number,
                "details": row.details,
                "status": row.status,
                "created_at": _moment(row.created_at),
                "handled_at": _moment(row.handled_at),
                "resolution": row.resolution,
            }
            for row in DataRequest.objects.filter(user=user).order_by("created_at", "pk")
        ],
    }


def _profile(profile: ConsumerProfile) -> dict[str, Any]:
    return {
        "dni": profile.dni,
        "cuil": profile.cuil,
        "phone": profile.phone,
        "street_address": profile.street_address,
        "city": profile.city,
        "postal_code": profile.postal_code,
        "province": profile.province,
        "sms_consent_at": _moment(profile.sms_consent_at),
        "whatsapp_consent_at": _moment(profile.whatsapp_consent_at),
    }


def _money(value: object) -> str | None:
    return str(value) if value is not None else None


def _case(case: Complaint) -> dict[str, Any]:
    return {
        "number": case.number,
        "status": case.status,
        "channel": case.channel,
        "created_at": _moment(case.created_at),
        "submitted_at": _moment(case.submitted_at),
        "closed_at": _moment(case.closed_at),
        "consumer_name": case.consumer_name,
        "consumer_dni": case.consumer_dni,
        "consumer_email": case.consumer_email,
        "consumer_phone": case.consumer_phone,
        "consumer_address": case.consumer_address,
        "consumer_province": case.consumer_province,
        "company": case.company_display_name,
        "product": case.product,
        "purchase_date": _moment(case.purchase_date),
        "amount_paid": _money(case.amount_paid),
        "facts": case.facts,
        "claim_type": case.claim_type,
        "claim_amount": _money(case.claim_amount),
        "claim_detail": case.claim_detail,
        "events": [
            {
                "action": event.action,
                "label": str(actions.get(event.action).label) if actions.is_declared(event.action) else event.action,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "reason": event.reason,
                "at": _moment(event.created_at),
            }
            for event in case.events.all()
        ],
        "evidence": [
            {
                "file_name": item.original_name,
                "description": item.description,
                "content_type": item.content_type,
                "size": item.size,
                "sha256": item.sha256,
                "uploaded_at": _moment(item.uploaded_at),
            }
            for item in case.evidence.all()
        ],
    }


def _message(row: Notification) -> dict[str, Any]:
    return {
        "channel": row.channel,
        "address": row.address,
        "event": row.event,
        "case_number": row.case_number,
        "subject": row.subject,
        "text": row.body_text,
        "status": row.status,
        "created_at": _moment(row.created_at),
        "sent_at": _moment(row.sent_at),
        "read_at": _moment(row.read_at),
    }
