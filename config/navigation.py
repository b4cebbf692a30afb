from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from parties.models import Role, User


def _nav_for(user: User) -> list[tuple[str, str]]:
    """(url name, label) pairs for the main navigation. Roles outside the office add up: a person
    who files complaints and speaks for a company gets both sets of links."""
    items = [("home", _("Home"))]
    if user.is_consumer and user.is_representative:
        items += [("complaint_list", _("Cases")), ("profile", _("My details"))]
    elif user.is_consumer:
        items += [("complaint_list", _("My cases")), ("profile", _("My details"))]
    elif user.is_representative:
        items.append(("complaint_list", _("Company cases")))
    if user.is_representative:
        items += [("formal_notice_list", _("Formal notices")), ("my_companies", _("My companies"))]
        items.append(("company_figures", _("Indicators")))  # the company's own figures (reporting/)
    if user.role in (Role.OFFICER, Role.SUPERVISOR):
        items += [("admission_queue", _("Admission")), ("complaint_list", _("Cases"))]
        items.append(("hearing_list", _("Hearings")))
    if user.role in (Role.CONCILIATOR, Role.OFFICER, Role.SUPERVISOR):
        items.append(("hearing_calendar", _("Calendar")))
    if user.has_staff_role:
        items.append(("company_list", _("Companies")))
    if user.role == Role.SUPERVISOR:
        items += [("staff_list", _("Staff")), ("notification_failures", _("Failed deliveries"))]
        items.append(("bounced_addresses", _("Bounced addresses")))
        items.append(("access_log", _("Personal data")))
    if user.role in (Role.SUPERVISOR, Role.DIRECTOR):
        items.append(("dashboard", _("Indicators")))  # the office's dashboard (reporting/)
    return items


def _role_label(user: User) -> str:
    if not user.may_act_as_consumer:
        return str(Role(user.role).label)
    labels = []
    if user.is_consumer:
        labels.append(str(Role.CONSUMER.label))
    if user.is_representative:
        labels.append(str(Role.REPRESENTATIVE.label))
    return " · ".join(labels) or str(Role.CONSUMER.label)


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
    return {"nav_items": nav_items, "role_label": _role_label(user)}
