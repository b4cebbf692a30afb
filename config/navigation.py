from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from parties.models import Role


def _nav_for(user) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(url name, label) pairs for the main navigation of each role."""
    items = [("home", _("Home"))]
    if user.role == Role.CONSUMER:
        items += [("complaint_list", _("My cases")), ("profile", _("My details"))]
    elif user.role == Role.REPRESENTATIVE:
        items += [
            ("complaint_list", _("Company cases")),
            ("formal_notice_list", _("Formal notices")),
            ("my_companies", _("My companies")),
        ]
    if user.role in (Role.OFFICER, Role.SUPERVISOR):
        items += [("admission_queue", _("Admission")), ("complaint_list", _("Cases"))]
        items.append(("hearing_list", _("Hearings")))
    if user.role in (Role.CONCILIATOR, Role.OFFICER, Role.SUPERVISOR):
        items.append(("hearing_calendar", _("Calendar")))
    if user.has_staff_role:
        items.append(("company_list", _("Companies")))
    if user.role == Role.SUPERVISOR:
        items += [("staff_list", _("Staff")), ("notification_failures", _("Failed deliveries"))]
    return items


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    path = request.path
    nav_items = []
    for name, label in _nav_for(user):
        url = reverse(name)
        active = path == url if name == "home" else path.startswith(url)
        nav_items.append({"label": label, "url": url, "active": active})
    return {"nav_items": nav_items, "role_label": Role(user.role).label}
