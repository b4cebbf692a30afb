"""The role-aware home page: each person lands on what they must do next.

It lives in config/ because it gathers from every floor (parties, complaints, hearings)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from parties import selectors as party_selectors
from parties.models import ConsumerProfile, Role


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "home/anonymous.html")
    context: dict = {}
    if user.role == Role.CONSUMER:
        context["profile_complete"] = ConsumerProfile.objects.filter(user=user).exists()
    elif user.role == Role.REPRESENTATIVE:
        context["companies"] = party_selectors.companies_visible_to(user).order_by("legal_name")[:20]
    elif user.role == Role.CONCILIATOR:
        context["conciliator"] = getattr(user, "conciliator_profile", None)
    return render(request, f"home/{user.role}.html", context)
