"""What the header and footer of every page need: the main navigation, the account links, the
addresses of the site's fixed pages. Built once per request by the `navigation` context processor.

A page's chrome reverses the same few URL names on every request; their addresses change only with
the script prefix or the URLconf, so each is reversed once per process (`site_url`)."""

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext as _

from parties.models import Role, User

# Pages the header and the footer link to, when the URLconf has them (an app left out of
# INSTALLED_APPS, or allauth's e-mail or MFA pages turned off, simply has no link).
SITE_URL_NAMES = (
    "home",
    "inbox",
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_logout",
    "account_email",
    "account_change_password",
    "mfa_index",
    "help",
    "accessibility",
    "privacy",
    "terms",
    "transparency",
    "open_data",
    "contact",
    "my_data",
)


@lru_cache(maxsize=256)
def _reverse_once(name: str, script_prefix: str, urlconf: str) -> str:
    """`reverse(name)`, or "" when the URLconf has no such page (as `{% url … as var %}` gives)."""
    try:
        return reverse(name, urlconf=urlconf)
    except NoReverseMatch:
        return ""


def site_url(name: str) -> str:
    """The address of a page whose URL takes no arguments, reversed once per script prefix and
    URLconf ("" when there is no such page)."""
    return _reverse_once(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def site_urls() -> dict[str, str]:
    return {name: site_url(name) for name in SITE_URL_NAMES}


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


def _account_links(path: str) -> list[dict]:
    """The account pages that exist (allauth), for the user menu, the small-screen menu and the
    footer alike (templates/includes/account_links.html): current when the page is one of them."""
    pages = [
        ("account_email", "envelope", _("E-mail addresses")),
        ("account_change_password", "key", _("Change password")),
        ("mfa_index", "shield-lock", _("Two-step verification")),
    ]
    links = []
    for name, icon, label in pages:
        if url := site_url(name):
            links.append({"url": url, "icon": icon, "label": label, "current": url in path})
    return links


def navigation(request: HttpRequest) -> dict:
    """`site_urls` for everyone; for a signed-in person also `nav_items`, `role_label` and
    `account_links`."""
    urls = site_urls()
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "site_urls": urls}
    path = request.path
    nav_items = []
    for name, label in _nav_for(user):
        url = site_url(name)
        if not url:
            url = reverse(name)  # raises NoReverseMatch, as before: the navigation never links to nothing
        active = path == url if name == "home" else path.startswith(url)
        nav_items.append({"label": label, "url": url, "active": active})
    return {
        "nav_items": nav_items,
        "role_label": _role_label(user),
        "account_links": _account_links(path),
        "site_urls": urls,
    }
