"""Whether an API key works: the one rule, asked by the API's authentication (api/auth.py) and shown
by the administrator's keys page (api/views/keys.py), so the page never calls "active" a key the API
refuses.

A key acts for the person who created it, for its company. It works while it is not revoked and that
person is active, is not office staff (who see cases as the office, not as a representative) and
still holds the representation the key was made under: one given again later, after they left the
company, does not bring an old key back to life.

    keys = with_key_state(ApiKey.objects.select_related("created_by"))
    keys.filter(works=True)                  # the keys the API accepts
    key.works, why_key_stopped(key)          # on a row of `keys`

The rule is one SQL expression (`works`), so a list can filter on it and a page of keys costs no
query more; `why_key_stopped` only explains, in the reader's language, a key that does not work."""

from typing import Any, TypeVar

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from parties.models import STAFF_ROLES, Representation

from .models import ApiKey

KeyQuerySet = TypeVar("KeyQuerySet", bound=QuerySet[ApiKey])


def creator_still_represents() -> Exists:
    """The creator's representation of the key's company that the key was made under, still active."""
    return Exists(
        Representation.objects.active().filter(
            user_id=OuterRef("created_by_id"),
            company_id=OuterRef("company_id"),
            created_at__lte=OuterRef("created_at"),
        )
    )


def with_key_state(keys: KeyQuerySet) -> KeyQuerySet:
    """`keys` with `creator_represents` and `works` on each row (one query, no join more than the
    creator's row)."""
    works = Q(revoked_at__isnull=True, creator_represents=True, created_by__is_active=True) & ~Q(
        created_by__role__in=STAFF_ROLES
    )
    return keys.annotate(creator_represents=creator_still_represents()).annotate(
        works=ExpressionWrapper(works, output_field=BooleanField())
    )


def why_key_stopped(key: Any) -> str | None:
    """Why a key of `with_key_state` that is not revoked no longer works (None if it works, or if it
    was revoked: the page says that on its own)."""
    if key.works or key.revoked_at is not None:
        return None
    name = key.created_by.display_name
    if not key.created_by.is_active:
        return _("The account of %(name)s was closed, and the key acted in their name.") % {"name": name}
    if key.created_by.has_staff_role:
        return _("%(name)s now works at the office, and a key only acts for a representative.") % {"name": name}
    return _("%(name)s no longer represents the company, and the key acted in their name.") % {"name": name}
