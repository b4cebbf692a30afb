"""The role-aware home page: each person lands on what they must do next.

It lives in config/ because it gathers from every floor (parties, complaints, hearings)."""

from datetime import timedelta
from typing import cast

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from complaints.models import Complaint
from complaints.selectors import complaints_visible_to
from complaints.states import CLOSED_STATES, VISIBLE_TO_COMPANY_STATES, State
from hearings.models import AbsenceJustification, Hearing
from hearings.selectors import hearings_visible_to
from parties import selectors as party_selectors
from parties.models import Role, User

RECENT = 10


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home/anonymous.html")
    user = cast(User, request.user)
    cases = complaints_visible_to(user).select_related("company")
    now = timezone.now()
    upcoming = (
        hearings_visible_to(user)
        .filter(status=Hearing.Status.SCHEDULED, ends_at__gte=now - timedelta(hours=2))
        .select_related("complaint__company")
        .order_by("starts_at")
    )
    context: dict = {"now": now}
    if user.may_act_as_consumer:
        # Roles add up: one person may follow their own complaints and speak for companies.
        context["is_consumer"] = user.is_consumer
        context["is_representative"] = user.is_representative
        context["hearings"] = upcoming[:5]
        if user.is_consumer:
            context.update(_consumer_tasks(user, cases.filter(consumer=user)))
        if user.is_representative:
            companies = party_selectors.companies_visible_to(user)
            context["companies"] = companies.order_by("legal_name")[:20]
            context["company_cases"] = (
                cases.filter(company__in=companies, status__in=VISIBLE_TO_COMPANY_STATES)
                .exclude(status__in=CLOSED_STATES)
                .order_by("-company_notified_at")[:RECENT]
            )
        return render(request, "home/consumer.html" if user.is_consumer else "home/representative.html", context)
    if user.role in (Role.OFFICER, Role.SUPERVISOR):
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
        context["to_record"] = hearings_visible_to(user).filter(status=Hearing.Status.SCHEDULED, starts_at__lte=now)[
            :RECENT
        ]
    return render(request, f"home/{user.role}.html", context)


def _consumer_tasks(user: User, own: QuerySet[Complaint]) -> dict:
    """What a consumer must do next on their own complaints."""
    return {
        "profile_complete": user.has_consumer_profile,
        "drafts": own.filter(status=State.DRAFT).order_by("-updated_at")[:3],
        "to_correct": own.filter(status=State.OBSERVED).order_by("correction_due_at")[:RECENT],
        "pending_offers": own.filter(offers__status="pending").distinct()[:RECENT],
        "cases": own.exclude(status=State.DRAFT).order_by("-submitted_at")[:RECENT],
        "to_confirm_compliance": own.filter(
            status=State.AGREEMENT_APPROVED, agreement__compliance_asked_at__isnull=False
        )[:RECENT],
    }
