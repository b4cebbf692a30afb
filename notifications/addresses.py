"""E-mail addresses as the platform compares them, and the register of those that bounced for good.

One normaliser, `normalise`: a bounce report's recipient against the row it is about, the e-mail
channel's refusal of a marked address, the case file's badge and the office's page all compare
addresses through it, so "Ana@Example.test " and "ana@example.test" are one address everywhere.
It also says what is not an address at all (longer than the column, control characters, bytes that
were not text): "" — such a value is never compared, stored or marked.

A mark (BouncedAddress) is written by a hard bounce (notifications.feedback.hard_bounce) and makes the
e-mail channel refuse the address. It is cleared when its owner confirms the address again (allauth's
signals, connected in apps.py) or by the office (the bounced addresses page).
"""

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from notifications.models import BouncedAddress, Notification
from parties.models import User

MAX_LENGTH = 254  # BouncedAddress.address, Notification.address (RFC 5321's limit on a path)
REASON_MAX = 255  # BouncedAddress.reason


def normalise(value: object) -> str:
    """`value` trimmed and lowercased, or "" when it cannot be an e-mail address of ours."""
    if not isinstance(value, str):
        return ""
    address = value.strip().lower()
    if (
        not address
        or len(address) > MAX_LENGTH
        or "@" not in address
        # Control characters (PostgreSQL refuses NUL), blanks, and what bytes that were not text
        # become (surrogates, U+FFFD): never part of an address we wrote to.
        or not address.isprintable()
        or "\ufffd" in address
        or any(character.isspace() for character in address)
    ):
        return ""
    return address


_ACTIVE_MARK_SQL = f"SELECT * FROM {BouncedAddress._meta.db_table} WHERE address = %s AND cleared_at IS NULL LIMIT 1"


def active_mark(address: str) -> BouncedAddress | None:
    """The mark that makes the e-mail channel refuse `address`, or None."""
    normalised = normalise(address)
    if not normalised:
        return None
    # Asked before every e-mail: written out once (the ORM compiled this query on every call).
    marks = BouncedAddress.objects.raw(_ACTIVE_MARK_SQL, [normalised])
    return next(iter(marks), None)


def bounced_among(addresses: set[str]) -> set[str]:
    """Which of these (normalised) addresses are marked and not cleared: one query."""
    if not addresses:
        return set()
    marked = BouncedAddress.objects.filter(address__in=addresses, cleared_at__isnull=True)
    return set(marked.values_list("address", flat=True))


def mark_bounced(address: str, *, reason: str, notification: Notification | None) -> bool:
    """Mark `address` as bounced; `reason` is one clean line (feedback.trim_error). True when the
    address is newly marked (it was not, or its mark had been cleared); False when it already was
    (the mark takes the new reason and time) or when nothing was written: `address` is not one, or
    the message that bounced was sent before the mark was last cleared (a late or replayed report
    about mail from before someone said the address works must not undo what they said)."""
    normalised = normalise(address)
    if not normalised:
        return False
    sent_at = notification.sent_at if notification is not None else None
    with transaction.atomic():
        existing = BouncedAddress.objects.select_for_update().filter(address=normalised).first()
        if existing is not None and existing.cleared_at and sent_at and sent_at < existing.cleared_at:
            return False
        BouncedAddress.objects.update_or_create(
            address=normalised,
            defaults={
                "reason": reason[:REASON_MAX],
                "bounced_at": timezone.now(),
                "notification": notification,
                "cleared_at": None,
                "cleared_by": None,
            },
        )
    return existing is None or existing.cleared_at is not None


def bounced_address_clear(*, bounced: BouncedAddress, by: User) -> bool:
    """The office says the address works again: e-mail to it resumes. One conditional UPDATE, so
    two clicks record one clearing; False when it was already cleared."""
    cleared = BouncedAddress.objects.filter(pk=bounced.pk, cleared_at__isnull=True).update(
        cleared_at=timezone.now(), cleared_by=by
    )
    return bool(cleared)


def clear_bounce(address: str, *, by: User | None = None) -> int:
    """The address's owner showed it works (see the receivers below). How many marks were cleared (0 or 1)."""
    normalised = normalise(address)
    if not normalised:
        return 0
    return BouncedAddress.objects.filter(address=normalised, cleared_at__isnull=True).update(
        cleared_at=timezone.now(), cleared_by=by
    )


# allauth's signals, connected in apps.py.


def clear_on_confirmed_address(sender: object, email_address: EmailAddress, **kwargs: object) -> None:
    """`email_confirmed`: the person opened the link we e-mailed to that address, so it receives
    mail again."""
    clear_bounce(email_address.email, by=email_address.user)


def clear_on_changed_address(sender: object, to_email_address: EmailAddress, **kwargs: object) -> None:
    """`email_changed`: the person's new (verified) address is theirs and working."""
    clear_bounce(to_email_address.email, by=to_email_address.user)
