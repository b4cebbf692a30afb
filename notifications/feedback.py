"""What happened to a message after it left us: one rule for every report and every refusal.

Who calls it: Twilio's status callbacks (notifications/provider_reports.py) and the e-mail channel's
refusal of an address marked as bounced call `apply_status`; e-mail bounces (notifications/bounces.py)
call `hard_bounce`; the worker calls `handover_failed` when a row dies (refused at hand-off, or
every attempt used).

The rule, in one place:
- Reports only move a row forward: queued < sent < delivered < read. A report that arrives late
  (Twilio does not promise order) never moves a row back.
- A failure (undelivered, failed, bounced) is terminal: it wins over queued and sent, never over
  delivered or read (the person got it; a later failure report is about something else).
- When a row first fails, under its row lock (so two reports at once do one thing):
  - a formal row is sent again by a channel that reaches the same party and was not tried yet for
    this message (neither by the rows it replaces nor by the rows the same notify() call wrote on
    other channels): a new row with `fallback_of` pointing at the failed one. An inactive person
    gets no copy; a company's domicile is replaced by its active representatives;
  - the supervisors are told (event `delivery_failed`, inbox and e-mail, once per failed row), for a
    formal row and for a hard bounce (an address newly marked as bounced) only: an ordinary SMS that
    did not arrive is on the case file's delivery record, not in the office's inbox. For a cédula the
    message says that it still counts as served on its deemed-service date.
- A hard bounce also marks the address (notifications/addresses.py), so the e-mail channel refuses it
  from now on; a message refused that way is recorded as bounced, and only a formal one is news.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from notifications.addresses import mark_bounced
from notifications.channels.mail import AddressRefused
from notifications.codec import decode
from notifications.models import (
    PROVIDER_FAILURES,
    Channel,
    FormalNotice,
    Notification,
    ProviderStatus,
    Status,
)
from notifications.rendering import absolute_url
from notifications.services import notify
from parties.models import Company, Representation, Role, User

logger = logging.getLogger("notifications.feedback")

ERROR_MAX = 255  # Notification.provider_error, ProviderCallback.error, BouncedAddress.reason
# The order reports move a row along; failures stand outside it (terminal).
PROGRESS = (ProviderStatus.QUEUED, ProviderStatus.SENT, ProviderStatus.DELIVERED, ProviderStatus.READ)
REACHED = (ProviderStatus.DELIVERED, ProviderStatus.READ)
# Who is told: the supervisors, who decide what the office does about it (the officers would get
# one message each for the same failure).
TOLD_ROLES = (Role.SUPERVISOR,)
# The channels a formal message is sent again by, in order of preference: one that reaches a phone
# first, the inbox last (it waits for the person to sign in).
FALLBACK_ORDER = (Channel.SMS, Channel.WHATSAPP, Channel.EMAIL, Channel.INBOX)
# Messages about failures never cause messages about their own failure.
SILENT_EVENTS = frozenset({"delivery_failed"})
# `what` in delivery_failed for a row that never got through to the provider (see handover_failed).
NOT_SENT = "not_sent"
# The key formal_notices._queue_notice_messages writes a cédula's rows under.
_FORMAL_NOTICE_KEY = re.compile(r"^formal-notice:(\d+):")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def trim_error(*parts: str) -> str:
    """A provider's error as one clean line that fits the columns it is kept in: control characters
    (PostgreSQL refuses NUL) and runs of blanks become one space, bytes that were not text become
    "?", and it is cut at ERROR_MAX."""
    text = " ".join(part for part in parts if part)
    text = text.encode("utf-8", "replace").decode("utf-8")
    return " ".join(_CONTROL.sub(" ", text).split())[:ERROR_MAX]


def moves_forward(current: str, new: str) -> bool:
    """May a report of `new` replace `current`? (The module's docstring says why.)"""
    if new == current or current in PROVIDER_FAILURES:
        return False
    if not current:
        return True
    if new in PROVIDER_FAILURES:
        return current not in REACHED
    return PROGRESS.index(ProviderStatus(new)) > PROGRESS.index(ProviderStatus(current))


def apply_status(notification: Notification, *, status: str, error: str = "", at: datetime | None = None) -> bool:
    """Record a provider's report on the row; True if the row changed. On the row's first failure a
    formal row is sent again by another channel and the office told, in the same transaction."""
    status = ProviderStatus(status)  # an unknown status is the caller's mistake: ValueError
    return _record(notification, status=status, error=error, at=at, address_marked=False)


def hard_bounce(notification: Notification, *, reason: str, at: datetime | None = None) -> bool:
    """The receiving mail server refused the row's e-mail for good (a delivery status notification,
    or a 5xx at hand-off): the address is marked and the row recorded as bounced. True if the row
    changed. The office is told when the address was newly marked (and for a formal row, always)."""
    reason = trim_error(reason)
    newly_marked = mark_bounced(notification.address, reason=reason, notification=notification)
    return _record(notification, status=ProviderStatus.BOUNCED, error=reason, at=at, address_marked=newly_marked)


def handover_failed(notification: Notification, error: BaseException) -> bool:
    """The channel gave up on the row for good: the provider refused it at hand-off, or every attempt
    failed (notifications.delivery._bury calls this once the row is dead). The same rule as a failure
    reported later: a recipient refused with a 5xx is a hard bounce, and a formal row is sent again
    by another channel and the office told. True if anything was done."""
    if isinstance(error, AddressRefused):
        return hard_bounce(notification, reason=error.reason)
    with transaction.atomic():
        row = Notification.objects.select_for_update().get(pk=notification.pk)
        if row.provider_status in PROVIDER_FAILURES or not row.formal:
            # Either acted on already (the e-mail channel refused a bounced address: apply_status),
            # or an ordinary message: its death is on the failures page, and nobody else is told.
            return False
        return _after_failure(row, what=NOT_SENT, error=trim_error(str(error)), address_marked=False)


def _record(
    notification: Notification, *, status: ProviderStatus, error: str, at: datetime | None, address_marked: bool
) -> bool:
    at = at or timezone.now()
    with transaction.atomic():
        row = Notification.objects.select_for_update().get(pk=notification.pk)
        if not moves_forward(row.provider_status, status):
            return False
        row.provider_status = status
        row.provider_status_at = at
        fields = ["provider_status", "provider_status_at"]
        if error:
            row.provider_error = trim_error(error)
            fields.append("provider_error")
        row.save(update_fields=fields)
        for field in fields:
            setattr(notification, field, getattr(row, field))
        if status in PROVIDER_FAILURES:
            _after_failure(row, what=status, error=row.provider_error, address_marked=address_marked)
    return True


def _after_failure(row: Notification, *, what: str, error: str, address_marked: bool) -> bool:
    """What a row's first failure sets off (the module's docstring); the caller holds the row lock."""
    if row.event in SILENT_EVENTS or not (row.formal or address_marked):
        return False
    attempts = Attempts.of(row)
    fallback = send_again(row, attempts) if row.formal else None
    tell_the_office(row, what=what, error=error, attempts=attempts, fallback=fallback, address_marked=address_marked)
    return True


# --- What was tried already ----------------------------------------------------------------------


@dataclass(frozen=True)
class Attempts:
    """The ways this message already went to its party: the failed row, the rows it was sent again
    instead of (back to the first), and every row each of them was written with by the same notify()
    call (its siblings on the other channels)."""

    failed: Notification
    first: Notification  # the message as first written: the start of the chain of copies
    rows: list[Notification]

    @classmethod
    def of(cls, row: Notification) -> "Attempts":
        chain = [row]
        seen = {row.pk}
        while (parent_id := chain[-1].fallback_of_id) is not None and parent_id not in seen:
            parent = Notification.objects.filter(pk=parent_id).only(*_ATTEMPT_FIELDS).first()
            if parent is None:
                break
            chain.append(parent)
            seen.add(parent.pk)
        keys = {link.idempotency_key for link in chain}
        siblings = Notification.objects.filter(idempotency_key__in=keys).exclude(pk__in=seen).only(*_ATTEMPT_FIELDS)
        return cls(failed=row, first=chain[-1], rows=[*chain, *siblings.order_by("pk")])

    @property
    def channels(self) -> set[str]:
        """A copy never goes back to one of these (so a chain of copies always ends)."""
        return {row.channel for row in self.rows}

    def still_going(self) -> list[str]:
        """The other channels this message went by that have not failed, best first."""
        alive = {
            row.channel
            for row in self.rows
            if row.pk != self.failed.pk
            and row.status != Status.DEAD
            and row.provider_status not in PROVIDER_FAILURES
            and row.channel != self.failed.channel
        }
        return [channel for channel in FALLBACK_ORDER if channel in alive]


_ATTEMPT_FIELDS = ("pk", "channel", "fallback_of_id", "idempotency_key", "event", "status", "provider_status")


# --- A formal message sent again ------------------------------------------------------------------


@dataclass(frozen=True)
class Fallback:
    """The rows a failed formal message was sent again as, and the channel that carried them."""

    channel: str
    rows: list[Notification]

    @classmethod
    def of(cls, rows: list[Notification]) -> "Fallback":
        carried = next((row.channel for row in rows if row.channel != Channel.INBOX), rows[0].channel)
        return cls(channel=carried, rows=rows)


def send_again(row: Notification, attempts: Attempts | None = None) -> Fallback | None:
    """The failed formal `row` sent again by another channel to the same party; None when there is
    none. Written once per failed row: a second call (under the row lock) finds the first's copies."""
    written_before = list(Notification.objects.filter(fallback_of=row).order_by("pk"))
    if written_before:
        return Fallback.of(written_before)
    if row.redacted_at is not None:
        # Its text and context were removed (retention, anonymisation): there is nothing to send again.
        return None
    context = decode(row.context or {})

    def again_to(person: User, channels: list[str]) -> list[Notification]:
        return notify(
            recipient=person,
            event=row.event,
            context=context,
            idempotency_key=f"delivery-fallback:{row.pk}",
            case_number=row.case_number,
            attachments=row.attachments or None,
            formal=True,
            channels=channels,
        )

    rows: list[Notification] = []
    if row.recipient is not None:
        if row.recipient.is_active:
            tried = (attempts or Attempts.of(row)).channels
            for channel in FALLBACK_ORDER:
                if channel not in tried and (rows := again_to(row.recipient, [channel])):
                    break
    else:
        # A company's electronic domicile: its active representatives, by e-mail and in their inbox
        # (their own addresses: the domicile's failure says nothing about them).
        for representative in _representatives_at(row.address):
            rows += again_to(representative, [Channel.EMAIL, Channel.INBOX])
    if not rows:
        return None
    Notification.objects.filter(pk__in=[written.pk for written in rows]).update(fallback_of=row)
    return Fallback.of(rows)


def _representatives_at(domicile: str) -> list[User]:
    companies = Company.objects.filter(electronic_domicile__iexact=domicile.strip())
    representations = (
        Representation.objects.active()
        .filter(company__in=companies, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    users: dict[int, User] = {}
    for representation in representations:
        users.setdefault(representation.user_id, representation.user)
    return list(users.values())


# --- The office is told ---------------------------------------------------------------------------


def office_recipients() -> list[User]:
    return list(User.objects.filter(role__in=TOLD_ROLES, is_active=True).order_by("pk"))


def formal_notice_of(attempts: Attempts) -> FormalNotice | None:
    """The cédula a failed row carried (its first row was written under `formal-notice:<pk>:…`)."""
    match = _FORMAL_NOTICE_KEY.match(attempts.first.idempotency_key)
    if match is None or attempts.first.event != "formal_notice":
        return None
    return FormalNotice.objects.filter(pk=int(match.group(1))).only("pk", "deemed_served_at").first()


def tell_the_office(
    row: Notification,
    *,
    what: str,
    error: str,
    attempts: Attempts,
    fallback: Fallback | None,
    address_marked: bool,
) -> list[Notification]:
    """One `delivery_failed` message (inbox and e-mail) to each supervisor, once per failed row. The
    messages carry no case number of their own (they are not part of the case file's record); the
    case is named in their text."""
    failures_url = reverse("notification_failures")
    if row.case_number:
        failures_url += "?" + urlencode({"case_number": row.case_number})
    context: dict[str, object] = {
        "what": what,
        "channel": Channel(row.channel).label,
        "address": row.address,
        "original_event": row.event,
        "error": error,
        "was_formal": row.formal,
        "failures_url": absolute_url(failures_url),
    }
    if row.case_number:
        context["case_number"] = row.case_number
    case_url = (row.context or {}).get("case_url")
    if isinstance(case_url, str) and case_url:
        context["case_url"] = case_url
    if fallback is not None:
        context["fallback_channel"] = Channel(fallback.channel).label
    elif row.formal and (going := attempts.still_going()):
        context["also_sent_by"] = Channel(going[0]).label
    if row.formal and (notice := formal_notice_of(attempts)) is not None:
        context["deemed_served_at"] = notice.deemed_served_at
    if address_marked:
        context["bounced_addresses_url"] = absolute_url(
            reverse("bounced_addresses") + "?" + urlencode({"q": row.address})
        )
    members = office_recipients()
    if not members:
        logger.error("Notification %s failed and there is no active supervisor to tell.", row.pk)
    written: list[Notification] = []
    for member in members:
        written += notify(
            recipient=member,
            event="delivery_failed",
            context=context,
            idempotency_key=f"delivery-failed:{row.pk}",
            channels=[Channel.INBOX, Channel.EMAIL],
        )
    return written
