"""Tamper evidence for the case record, meant to hold against someone who can write to the database.

- Each `CaseEvent.hash` is an HMAC-SHA256 over the event and the hash before it, keyed with a
  server secret the database does not hold (settings.CASE_EVENT_HMAC_KEYS; the event stores the
  key's id, so keys can be rotated). Rewriting a chain with the public algorithm fails the HMAC.
- The case keeps the chain's head: its length, its last hash, and a keyed seal over both, the
  status, and who and what the case is about (number, consumer, company). Removing the last event,
  editing the status, moving the case to another company or consumer, or winding a filed case back
  to an empty draft no longer matches the seal.
- The status must also agree with the last event that moved the case.
- On PostgreSQL a trigger refuses UPDATE and DELETE of events (migration 0005), so only someone
  who disables it on purpose can change them.

Events hashed before the keys existed keep `key_id` "" and a plain SHA-256; the migration sealed
their chains' heads, so they can no longer be rewritten or cut short unnoticed either.

What this cannot see: a rollback of a case and its events together to an earlier backup of both
(every value in it was valid once). Keeping the nightly report's figures elsewhere narrows that.
"""

import hmac
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from hashlib import sha256

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from complaints.models import CaseEvent, Complaint
from complaints.states import State

SEPARATOR = "\x1f"
# A seal's message starts with this word; an event's starts with a hex hash or the separator, so
# no event hash can pass for a seal.
SEAL_DOMAIN = "seal"


# --- Keys and digests --------------------------------------------------------------------------------


def keys() -> dict[str, str]:
    return settings.CASE_EVENT_HMAC_KEYS


def current_key_id() -> str:
    """The key new events and seals are written with: the first one configured."""
    return next(iter(keys()))


def _hmac(key_id: str, message: str) -> str:
    return hmac.digest(keys()[key_id].encode(), message.encode(), "sha256").hex()


def event_digest(
    *,
    key_id: str,
    previous_hash: str,
    complaint_id: int | None,
    action: str,
    from_state: str,
    to_state: str,
    actor_id: int | None,
    reason: str,
    created_at: datetime,
) -> str:
    """The event's hash: HMAC-SHA256 with the key `key_id`, or plain SHA-256 for a legacy event
    (key_id ""). Raises KeyError for a key that is not configured."""
    message = SEPARATOR.join(
        [
            previous_hash,
            str(complaint_id),
            action,
            from_state,
            to_state,
            str(actor_id or ""),
            reason,
            created_at.isoformat(),
        ]
    )
    if not key_id:
        return sha256(message.encode()).hexdigest()
    return _hmac(key_id, message)


@dataclass(frozen=True)
class Sealed:
    """What a case's seal vouches for: its chain (length, last hash), its status, and who and what
    the case is about (number, consumer, company): a case moved to another company or consumer, or
    wound back to a draft, no longer matches its seal."""

    case_id: int
    status: str
    length: int
    head_hash: str
    number: str | None
    consumer_id: int | None
    company_id: int | None
    company_cuit: str

    def message(self) -> str:
        parts = [self.case_id, self.status, self.length, self.head_hash, self.number or ""]
        parts += [self.consumer_id or "", self.company_id or "", self.company_cuit]
        return SEPARATOR.join([SEAL_DOMAIN, *map(str, parts)])


# The case row's columns a seal covers, in Sealed's order after the chain head.
SEALED_COLUMNS = ("number", "consumer_id", "company_id", "company_cuit")


def seal_for(sealed: Sealed, key_id: str | None = None) -> str:
    """The case's seal, "<key id>:<hmac>"."""
    key_id = key_id or current_key_id()
    return f"{key_id}:{_hmac(key_id, sealed.message())}"


def seal_matches(seal: str, sealed: Sealed) -> bool:
    key_id, _, _digest = seal.partition(":")
    if key_id not in keys():
        return False
    return hmac.compare_digest(seal, seal_for(sealed, key_id=key_id))


def document_seal(sha256_hex: str, key_id: str | None = None) -> str:
    """A keyed seal of a document's SHA-256 (the disposición that homologates an agreement),
    "<key id>:<hmac>". Its message starts with its own word, so it passes for no event hash and no
    case seal. To check one, seal again with the key id it names and compare."""
    key_id = key_id or current_key_id()
    return f"{key_id}:{_hmac(key_id, SEPARATOR.join(['document', sha256_hex]))}"


def _sealed_row(case_id: int, *, length: int | None = None, head_hash: str | None = None) -> Sealed:
    status, chain_length, chain_head, *identity = (
        Complaint.objects.filter(pk=case_id)
        .values_list("status", "chain_length", "chain_head_hash", *SEALED_COLUMNS)
        .get()
    )
    return Sealed(
        case_id,
        status,
        chain_length if length is None else length,
        chain_head if head_hash is None else head_hash,
        *identity,
    )


def reseal(case: Complaint) -> None:
    """Seal the case again after a legitimate change of what the seal covers (a case being corrected
    names another company). The caller holds the case's row lock, inside its transaction."""
    if not case.chain_length:
        return
    seal = seal_for(_sealed_row(case.pk))
    Complaint.objects.filter(pk=case.pk).update(chain_seal=seal)
    case.chain_seal = seal


# --- Appending ----------------------------------------------------------------------------------------


def sealed_of(case: Complaint) -> Sealed:
    """What the seal vouches for, read from `case` as it is in memory: for a caller holding the row's
    lock whose copy carries the move's changes (complaints.services._apply)."""
    identity = [getattr(case, column) for column in SEALED_COLUMNS]
    return Sealed(case.pk, case.status, case.chain_length, case.chain_head_hash, *identity)


def append_event(
    *,
    case: Complaint,
    action: str,
    actor_id: int | None,
    from_state: str,
    to_state: str,
    reason: str,
    at: datetime,
    current: bool = False,
    write_head: bool = True,
) -> CaseEvent:
    """Append one event and move the case's chain head. The caller holds the case's row lock (so the
    head it reads is the latest) and runs this inside its transaction: both rows commit together.

    By default the head and the status are read from the row, not from `case`, which may be an older
    copy. `current=True`: `case` is the row as read under the lock, with the move's changes, so its
    head is taken as it is given (no second read). `write_head=False`: only `case`'s head is moved in
    memory; the caller writes chain_length, chain_head_hash and chain_seal (`sealed_of` → `seal_for`)
    in its own UPDATE of the row, with whatever else the move changes (one UPDATE, not two)."""
    current_head = sealed_of(case) if current else _sealed_row(case.pk)
    length, head_hash = current_head.length, current_head.head_hash
    event = CaseEvent.objects.create(
        complaint=case,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor_id,
        reason=reason,
        created_at=at,
        previous_hash=head_hash,
    )
    case.chain_length, case.chain_head_hash = length + 1, event.hash
    if not write_head:
        return event
    seal = seal_for(replace(current_head, length=length + 1, head_hash=event.hash))
    Complaint.objects.filter(pk=case.pk).update(chain_length=length + 1, chain_head_hash=event.hash, chain_seal=seal)
    case.chain_seal = seal
    return event


# --- Checking -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """One way a case's record disagrees with its chain."""

    case_id: int
    case_number: str
    kind: str
    event_id: int | None = None
    detail: str = ""

    def describe(self) -> str:
        messages = {
            "edited": _("event %(event)s does not match its hash: it was edited, or hashed without the server key"),
            "unknown_key": _("event %(event)s is hashed with a key this server does not have (%(detail)s)"),
            "unkeyed": _("event %(event)s has a plain hash after keyed events: it was rewritten"),
            "link": _("event %(event)s does not follow the one before it: an event was removed, added or reordered"),
            "length": _("the case says it has %(detail)s events: events were removed or added"),
            "head": _("the last event is not the one the case recorded as its last: events were removed"),
            "seal": _("the case's seal does not match its status and events: the case row was edited"),
            "status": _("the case's status differs from its last move (%(detail)s)"),
        }
        return messages[self.kind] % {"event": self.event_id, "detail": self.detail}


# (pk, status, chain_length, chain_head_hash, chain_seal, number, consumer_id, company_id, company_cuit)
Head = tuple[int, str, int, str, str, str | None, int | None, int | None, str]
# (pk, key_id, previous_hash, hash, complaint_id, action, from_state, to_state, actor_id, reason, created_at)
EventRow = tuple[int, str, str, str, int, str, str, str, int | None, str, datetime]

HEAD_FIELDS = ("pk", "status", "chain_length", "chain_head_hash", "chain_seal", *SEALED_COLUMNS)
EVENT_FIELDS = (
    "pk",
    "key_id",
    "previous_hash",
    "hash",
    "complaint_id",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "reason",
    "created_at",
)


def check_chain(head: Head, events: Sequence[EventRow]) -> list[Break]:
    """Every disagreement between a case's row and its events, oldest first. Pure: no queries."""
    case_id, status, length, head_hash, seal, number, consumer_id, company_id, company_cuit = head
    known = keys()
    breaks: list[Break] = []

    def broken(kind: str, event_id: int | None = None, detail: str = "") -> None:
        breaks.append(Break(case_id, number or "", kind, event_id, detail))

    previous = ""
    keyed_seen = False
    last_move = ""
    for pk, key_id, previous_hash, digest, complaint_id, action, source, target, actor_id, reason, at in events:
        if previous_hash != previous:
            broken("link", pk)
        if key_id and key_id not in known:
            broken("unknown_key", pk, key_id)
        elif not key_id and keyed_seen:
            broken("unkeyed", pk)
        else:
            expected = event_digest(
                key_id=key_id,
                previous_hash=previous_hash,
                complaint_id=complaint_id,
                action=action,
                from_state=source,
                to_state=target,
                actor_id=actor_id,
                reason=reason,
                created_at=at,
            )
            if not hmac.compare_digest(expected, digest):
                broken("edited", pk)
        keyed_seen = keyed_seen or bool(key_id)
        last_move = target or last_move
        previous = digest

    if len(events) != length:
        broken("length", detail=f"{length} ≠ {len(events)}")
    if previous != head_hash:
        broken("head")
    # A draft nobody has moved (no number yet) has nothing to seal; anything else must carry a valid
    # seal, so a filed case wound back to a draft with its events deleted still shows.
    sealed = bool(seal or length or number or status != State.DRAFT)
    identity = Sealed(case_id, status, length, head_hash, number, consumer_id, company_id, company_cuit)
    if sealed and not seal_matches(seal, identity):
        broken("seal")
    if last_move and last_move != status:
        broken("status", detail=f"{status} ≠ {last_move}")
    return breaks


def _chains(
    case_ids: Sequence[int] = (), *, pk_range: tuple[int, int] | None = None
) -> Iterator[tuple[Head, list[EventRow]]]:
    """Each case with its events, read so that a move committed meanwhile cannot look like a break:
    the events come in one statement joined to their case's head, so each case's head and events
    are one snapshot. A case without events takes its head from the first statement; had it gained
    events since, the second statement would have returned them."""
    cases = Complaint.objects.order_by("pk")
    events = CaseEvent.objects.order_by("complaint_id", "pk")
    if pk_range is not None:
        cases = cases.filter(pk__gte=pk_range[0], pk__lte=pk_range[1])
        events = events.filter(complaint_id__gte=pk_range[0], complaint_id__lte=pk_range[1])
    else:
        cases = cases.filter(pk__in=case_ids)
        events = events.filter(complaint_id__in=case_ids)
    heads: dict[int, Head] = {row[0]: row for row in cases.values_list(*HEAD_FIELDS)}
    by_case: dict[int, list[EventRow]] = {}
    joined = [f"complaint__{name}" for name in HEAD_FIELDS[1:]]
    for row in events.values_list(*EVENT_FIELDS, *joined):
        event, case_head = row[: len(EVENT_FIELDS)], row[len(EVENT_FIELDS) :]
        by_case.setdefault(event[4], []).append(event)
        heads[event[4]] = (event[4], *case_head)
    for case_id in sorted(heads):
        yield heads[case_id], by_case.get(case_id, [])


def verify_case(case: Complaint) -> list[Break]:
    """Every break in one case's record (an empty list when it is intact)."""
    return [found for head, events in _chains([case.pk]) for found in check_chain(head, events)]


def verify_read(case: Complaint, events: Iterable[CaseEvent]) -> list[Break]:
    """`verify_case` for a page that has already read the case and every one of its events: checked
    from those objects, without reading them again.

    They were read by two statements, so a move committed between the two shows as events the case's
    head does not know yet: a break that is not one. Only an intact result is taken as it is; any
    break is looked for again by `verify_case`, whose single statement reads the head and the events
    as one snapshot. (An intact result cannot come from such a mix: the events are append-only, so
    events that agree with the head the case was read with are the ones it sealed.)"""
    head: Head = tuple(getattr(case, name) for name in HEAD_FIELDS)
    rows: list[EventRow] = [
        tuple(getattr(event, name) for name in EVENT_FIELDS) for event in sorted(events, key=lambda event: event.pk)
    ]
    if not check_chain(head, rows):
        return []
    return verify_case(case)


@dataclass
class Report:
    cases: int = 0
    events: int = 0
    seconds: float = 0.0
    broken_cases: int = 0
    # The first breaks found (enough to act on; the count above is complete).
    breaks: list[Break] = field(default_factory=list)

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


BREAKS_KEPT = 1000


def verify_all(*, batch_size: int = 5000, on_batch: Callable[[Report], None] | None = None) -> Report:
    """Check every case, `batch_size` cases at a time by primary-key ranges (keyset pagination: no
    OFFSET, and memory bounded by one batch)."""
    report = Report()
    started = time.monotonic()
    last = 0
    while True:
        ids = list(Complaint.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        for head, events in _chains(pk_range=(ids[0], ids[-1])):
            found = check_chain(head, events)
            report.cases += 1
            report.events += len(events)
            if found:
                report.broken_cases += 1
                report.breaks.extend(found[: max(0, BREAKS_KEPT - len(report.breaks))])
        last = ids[-1]
        report.seconds = time.monotonic() - started
        if on_batch:
            on_batch(report)
    report.seconds = time.monotonic() - started
    return report


def seal_existing_chains(
    *,
    complaint_model: type[Complaint] = Complaint,
    event_model: type[CaseEvent] = CaseEvent,
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = 2000,
) -> int:
    """Give cases written before the chain head existed (or outside the ORM) their head and seal,
    taken from their events as they are now. Run once, by the migration that added the head (with
    its historical models) and by bench/seed.py: run later, it would bless whatever the database
    holds by then. Drafts nobody moved are left unsealed. Returns how many cases it sealed."""
    quote = connections[using].ops.quote_name
    update = (
        f"UPDATE {quote(complaint_model._meta.db_table)} "
        "SET chain_length = %s, chain_head_hash = %s, chain_seal = %s WHERE id = %s"
    )
    sealed = 0
    last = 0
    while True:
        batch = list(
            complaint_model.objects.using(using)
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "status", *SEALED_COLUMNS)[:batch_size]
        )
        if not batch:
            return sealed
        # The events of this range of cases, counted per case (no default ordering in the GROUP BY).
        counts = {
            case_id: (count, last_event)
            for case_id, count, last_event in event_model.objects.using(using)
            .filter(complaint_id__gte=batch[0][0], complaint_id__lte=batch[-1][0])
            .order_by()
            .values("complaint_id")
            .annotate(count=Count("pk"), last_event=Max("pk"))
            .values_list("complaint_id", "count", "last_event")
        }
        last_hashes = dict(
            event_model.objects.using(using)
            .filter(pk__in=[last_event for _count, last_event in counts.values()])
            .values_list("pk", "hash")
        )
        updates = []
        for pk, status, *identity in batch:
            count, last_event = counts.get(pk, (0, None))
            if not count and status == State.DRAFT and not identity[0]:
                continue
            head_hash = last_hashes.get(last_event, "")
            seal = seal_for(Sealed(pk, status, count, head_hash, *identity))
            updates.append((count, head_hash, seal, pk))
        # One statement per case, pipelined: bulk_update's CASE WHEN takes seconds per thousand rows.
        with connections[using].cursor() as cursor:
            cursor.executemany(update, updates)
        sealed += len(updates)
        last = batch[-1][0]
