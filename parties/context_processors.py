from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from parties.models import Role


def _nav_for(user) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(url name, label) pairs for the main navigation of each role."""
    items = [("home", _("Home"))]
    if user.role == Role.CONSUMER:
        items.append(("profile", _("My details")))
    elif user.role == Role.REPRESENTATIVE:
        items.append(("my_companies", _("My companies")))
    if user.has_staff_role:
        items.append(("company_list", _("Companies")))
    if user.role == Role.SUPERVISOR:
        items.append(("staff_list", _("Staff")))
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
