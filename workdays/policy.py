"""Who may change the office calendar: one predicate, asked by the service, the view (403) and the
page (the buttons)."""

from django.utils.translation import gettext as _

from parties.models import Role, User
from parties.policy import Policy, Refusal, not_you

from .errors import CalendarError

policy = Policy(CalendarError)

MANAGE_CALENDAR = "manage_office_calendar"
CALENDAR_ROLES = frozenset({Role.SUPERVISOR, Role.DIRECTOR})


@policy.action(MANAGE_CALENDAR)
def _manage_calendar(user: User, _obj: object) -> Refusal | None:
    if user.role not in CALENDAR_ROLES:
        return not_you(_("Only the office's supervisors and its director manage the office calendar."))
    return None
