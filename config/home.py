"""The role-aware home page: each person lands on what they must do next.

It lives in config/ because it gathers from every floor (parties, complaints, hearings)."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from complaints.selectors import complaints_visible_to
from complaints.states import CLOSED_STATES, State
from hearings.models import AbsenceJustification, Hearing
from hearings.selectors import hearings_visible_to
from parties import selectors as party_selectors
from parties.models import ConsumerProfile, Role

RECENT = 10


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "home/anonymous.html")
    cases = complaints_visible_to(user).select_related("company")  # type: ignore[arg-type]
    now = timezone.now()
    upcoming = (
        hearings_visible_to(user)  # type: ignore[arg-type]
        .filter(status=Hearing.Status.SCHEDULED, ends_at__gte=now - timedelta(hours=2))
        .select_related("complaint__company")
        .order_by("starts_at")
    )
    context: dict = {"now": now}
    if user.role == Role.CONSUMER:
        context["profile_complete"] = ConsumerProfile.objects.filter(user=user).exists()
        context["drafts"] = cases.filter(status=State.DRAFT).order_by("-updated_at")[:3]
        context["to_correct"] = cases.filter(status=State.OBSERVED).order_by("correction_due_at")[:RECENT]
        context["pending_offers"] = cases.filter(offers__status="pending").distinct()[:RECENT]
        context["cases"] = cases.exclude(status=State.DRAFT).order_by("-submitted_at")[:RECENT]
        context["hearings"] = upcoming[:3]
        context["to_confirm_compliance"] = cases.filter(
            status=State.AGREEMENT_APPROVED, agreement__compliance_asked_at__isnull=False
        )[:RECENT]
    elif user.role == Role.REPRESENTATIVE:
        context["companies"] = party_selectors.companies_visible_to(user).order_by("legal_name")[:20]  # type: ignore[arg-type]
        context["cases"] = cases.exclude(status__in=CLOSED_STATES).order_by("-company_notified_at")[:RECENT]
        context["hearings"] = upcoming[:5]
    elif user.role in (Role.OFFICER, Role.SUPERVISOR):
        context["queue_count"] = cases.filter(status=State.SUBMITTED).count()
        context["waiting_domicile_count"] = cases.filter(status=State.ADMITTED).count()
        context["to_schedule_count"] = (
            cases.filter(status__in=[State.COMPANY_NOTIFIED, State.ADJOURNED])
            .exclude(hearings__status=Hearing.Status.SCHEDULED)
            .count()
        )
        context["to_approve_count"] = cases.filter(status=State.AGREEMENT).count()
        context["justifications_count"] = AbsenceJustification.objects.filter(
            decision=AbsenceJustification.Decision.PENDING
        ).count()
        local_today = timezone.localdate()
        context["hearings_today_count"] = upcoming.filter(starts_at__date=local_today).count()
    elif user.role == Role.CONCILIATOR:
        context["conciliator"] = getattr(user, "conciliator_profile", None)
        context["hearings"] = upcoming[:RECENT]
        context["to_record"] = hearings_visible_to(user).filter(  # type: ignore[arg-type]
            status=Hearing.Status.SCHEDULED, starts_at__lte=now
        )[:RECENT]
    return render(request, f"home/{user.role}.html", context)
