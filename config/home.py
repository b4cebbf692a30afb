"""The role-aware home page: each person lands on what they must do next.

It lives in config/ because it gathers from every floor (parties, complaints, hearings)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from complaints.selectors import complaints_visible_to
from complaints.states import CLOSED_STATES, State
from parties import selectors as party_selectors
from parties.models import ConsumerProfile, Role

RECENT = 10


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "home/anonymous.html")
    cases = complaints_visible_to(user).select_related("company")  # type: ignore[arg-type]
    context: dict = {}
    if user.role == Role.CONSUMER:
        context["profile_complete"] = ConsumerProfile.objects.filter(user=user).exists()
        context["drafts"] = cases.filter(status=State.DRAFT).order_by("-updated_at")[:3]
        context["to_correct"] = cases.filter(status=State.OBSERVED).order_by("correction_due_at")[:RECENT]
        context["pending_offers"] = cases.filter(offers__status="pending").distinct()[:RECENT]
        context["cases"] = cases.exclude(status=State.DRAFT).order_by("-submitted_at")[:RECENT]
    elif user.role == Role.REPRESENTATIVE:
        context["companies"] = party_selectors.companies_visible_to(user).order_by("legal_name")[:20]  # type: ignore[arg-type]
        context["cases"] = cases.exclude(status__in=CLOSED_STATES).order_by("-company_notified_at")[:RECENT]
    elif user.role in (Role.OFFICER, Role.SUPERVISOR):
        context["queue_count"] = cases.filter(status=State.SUBMITTED).count()
        context["waiting_domicile_count"] = cases.filter(status=State.ADMITTED).count()
    elif user.role == Role.CONCILIATOR:
        context["conciliator"] = getattr(user, "conciliator_profile", None)
    return render(request, f"home/{user.role}.html", context)
