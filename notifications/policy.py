"""Who watches the platform's deliveries — the failed and lost messages, sending one again, the
addresses that bounced: the office's staff. One predicate, asked by the selectors (to anyone else
there are no such rows), the views (404) and the retry service alike."""

from django.contrib.auth.models import AnonymousUser

from parties.models import User


def may_watch_deliveries(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.has_staff_role
