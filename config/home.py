"""The role-aware home page: each person lands on what they must do next.

It lives in config/ because it gathers from every floor (parties, complaints, hearings)."""

from datetime import datetime, time, timedelta
from typing import cast

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from complaints.models import OPEN_PART_STATUSES, CaseCompany, Complaint
from complaints.selectors import complaints_visible_to
from complaints.states import CLOSED_STATES, State
from hearings.models import AbsenceJustification, Agreement, Hearing
from hearings.selectors import hearings_visible_to
from hearings.views.homologation import homologation_queue_context
from parties import selectors as party_selectors
from parties.http import AuthenticatedRequest
from parties.models import Role, User

RECENT = 10
ONE_DAY = timedelta(days=1)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "home/anonymous.html")
    user = cast(User, request.user)
    if user.role == Role.LEGAL:
        return redirect("legal_queue")  # the legal directorate's work is its queue (legal/)
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
            context.update(_company_cases(user, cases))
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
        # Today as a range of instants (not `starts_at__date`, a function of the column that no index
        # serves): the index on the scheduled hearings' start answers it.
        today = timezone.localdate()
        midnight, next_midnight = (timezone.make_aware(datetime.combine(d, time.min)) for d in (today, today + ONE_DAY))
        context["hearings_today_count"] = upcoming.filter(starts_at__gte=midnight, starts_at__lt=next_midnight).count()
    elif user.role == Role.CONCILIATOR:
        context["conciliator"] = getattr(user, "conciliator_profile", None)
        context["hearings"] = upcoming[:RECENT]
        context["to_record"] = hearings_visible_to(user).filter(status=Hearing.Status.SCHEDULED, starts_at__lte=now)[
            :RECENT
        ]
    elif user.role == Role.DIRECTOR:
        # The agreements awaiting homologation (the director's own list, paginated and searchable).
        context.update(homologation_queue_context(cast(AuthenticatedRequest, request)))
    return render(request, f"home/{user.role}.html", context)


def _company_cases(user: User, cases: QuerySet[Complaint]) -> dict:
    """The open cases in which one of the user's companies was served and its part is still open,
    each with those of its parts that are the user's: a case counts once per company it names."""
    company_ids = list(user.represented_company_ids)
    open_parts = CaseCompany.objects.filter(
        company_id__in=company_ids, notified_at__isnull=False, status__in=OPEN_PART_STATUSES
    )
    mine = Prefetch(
        "parts",
        queryset=CaseCompany.objects.filter(company_id__in=company_ids).select_related("company").order_by("position"),
        to_attr="my_parts",
    )
    # A served part is what shows a case to its company (complaints_visible_to), even while another
    # company of the case still awaits service.
    open_cases = cases.filter(pk__in=open_parts.values("complaint_id")).exclude(status__in=CLOSED_STATES)
    return {
        "company_cases": open_cases.prefetch_related(mine).order_by("-company_notified_at", "-pk")[:RECENT],
        # Parts, not cases: a case against two of the user's companies is two to answer.
        "open_parts_count": open_parts.filter(complaint__in=open_cases).count(),
    }


def _consumer_tasks(user: User, own: QuerySet[Complaint]) -> dict:
    """What a consumer must do next on their own complaints."""
    return {
        "profile_complete": user.has_consumer_profile,
        "drafts": own.filter(status=State.DRAFT).order_by("-updated_at")[:3],
        "to_correct": own.filter(status=State.OBSERVED).order_by("correction_due_at")[:RECENT],
        "pending_offers": own.filter(offers__status="pending").distinct()[:RECENT],
        "cases": own.exclude(status=State.DRAFT).order_by("-submitted_at")[:RECENT],
        "to_confirm_compliance": own.filter(
            pk__in=Agreement.objects.filter(complaint__consumer=user, compliance_asked_at__isnull=False).values(
                "complaint_id"
            ),
            status=State.AGREEMENT_APPROVED,
        )[:RECENT],
    }
