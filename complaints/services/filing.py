"""Filing: starting a draft, saving the answers of each step, keeping the consumer's snapshot fresh and
recording the declaration. Submission itself is a case move (`complaint_submit` in the package).

A draft may change only while it is editable (a draft, or an observed case being corrected): every
write here checks that under the row lock or in a conditional UPDATE, so an edit never lands on a
case that was submitted meanwhile in another tab."""

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from complaints import integrity
from complaints.models import Channel, Complaint
from complaints.states import State
from parties.models import Company, ConsumerProfile, User
from parties.services import company_create


class DraftClosed(Exception):
    """The case is no longer editable here (it was submitted meanwhile, e.g. in another tab)."""


EDITABLE_STATES = (State.DRAFT, State.OBSERVED)

# What the steps may write. The status, the number and the deadlines belong to the case moves.
DRAFT_FIELDS = frozenset(
    {
        "company",
        "company_cuit",
        "company_name",
        "product",
        "purchase_date",
        "amount_paid",
        "facts",
        "claim_type",
        "claim_amount",
        "claim_detail",
    }
)
SNAPSHOT_FIELDS = (
    "consumer_name",
    "consumer_dni",
    "consumer_email",
    "consumer_phone",
    "consumer_address",
    "consumer_province",
)


def snapshot_consumer(case: Complaint) -> None:
    """Copy the consumer's name and profile into the case (unsaved): what the record keeps if the
    profile changes later."""
    consumer = case.consumer
    case.consumer_name = consumer.get_full_name()
    case.consumer_email = consumer.email
    profile = ConsumerProfile.objects.filter(user=consumer).first()
    if profile:
        case.consumer_dni = profile.dni
        case.consumer_phone = profile.phone
        case.consumer_address = f"{profile.street_address}, {profile.city}"
        case.consumer_province = profile.province


def complaint_start_draft(*, consumer: User, filed_by: User | None = None, channel: str = Channel.WEB) -> Complaint:
    """A new draft, prefilled with what the consumer's profile knows."""
    case = Complaint(consumer=consumer, filed_by=filed_by, channel=channel)
    snapshot_consumer(case)
    case.save()
    return case


def web_draft_start(*, consumer: User) -> tuple[Complaint, bool]:
    """The consumer's own draft: the one they already started, or a new one; `(draft, created)`.

    A consumer has at most one draft they started themselves. The consumer's row lock makes two
    starts at once (a double click, two tabs) wait for each other, so the second finds the draft
    the first created instead of adding another."""
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=consumer.pk)
        existing = (
            Complaint.objects.filter(consumer=consumer, filed_by__isnull=True, status=State.DRAFT)
            .order_by("-updated_at", "-pk")
            .first()
        )
        if existing is not None:
            return existing, False
        return complaint_start_draft(consumer=consumer), True


def _lock_editable(complaint: Complaint) -> Complaint:
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if locked.status not in EDITABLE_STATES:
        raise DraftClosed
    return locked


def draft_save_step(*, complaint: Complaint, values: Mapping[str, object], reached_step: int) -> Complaint:
    """Write a step's answers and move the draft's bookmark on to `reached_step` (never back).
    Raises DraftClosed, with nothing written, if the case is no longer editable."""
    refused = set(values) - DRAFT_FIELDS
    if refused:
        raise TypeError(f"draft_save_step cannot change {', '.join(sorted(refused))}.")
    with transaction.atomic():
        locked = _lock_editable(complaint)
        for field, value in values.items():
            setattr(locked, field, value)
        locked.draft_step = max(locked.draft_step, reached_step)
        locked.save(update_fields=[*values, "draft_step", "updated_at"])
        if {"company", "company_cuit"} & set(values):
            integrity.reseal(locked)  # a case being corrected may name another company
    for field, value in values.items():
        setattr(complaint, field, value)
    complaint.draft_step = locked.draft_step
    return complaint


def draft_save_company(
    *, complaint: Complaint, registered: Company | None, cuit: str, name: str, by: User, reached_step: int
) -> Company | None:
    """The company step: a registered company, or one that is not registered, by its CUIT and name.

    A case being corrected was submitted naming a registered company and must keep doing so: an
    unregistered one joins the registry now (`parties.services.PartiesError` if it cannot). Returns
    the registered company the case now names, or None."""
    with transaction.atomic():
        locked = _lock_editable(complaint)
        if registered is None and locked.status == State.OBSERVED:
            registered = company_create(cuit=cuit, legal_name=name.strip(), by=by)
        if registered is not None:
            values: dict[str, object] = {"company": registered, "company_cuit": "", "company_name": ""}
        else:
            values = {"company": None, "company_cuit": cuit, "company_name": name.strip()}
        draft_save_step(complaint=complaint, values=values, reached_step=reached_step)
    return registered


def draft_refresh_snapshot(*, complaint: Complaint) -> None:
    """Take the consumer's details again from their profile, while the case is editable. A case
    that moved on keeps the snapshot it was filed with."""
    fresh = Complaint(consumer=complaint.consumer)
    snapshot_consumer(fresh)
    changed = {
        field: getattr(fresh, field) for field in SNAPSHOT_FIELDS if getattr(fresh, field) != getattr(complaint, field)
    }
    if not changed:
        return
    updated = Complaint.objects.filter(pk=complaint.pk, status__in=EDITABLE_STATES).update(
        **changed, updated_at=timezone.now()
    )
    if updated:
        for field, value in changed.items():
            setattr(complaint, field, value)


def draft_accept_declaration(*, complaint: Complaint, accepted: bool) -> bool:
    """Record (or clear) the declaration that what the consumer states is true, on an editable case
    only. True if it was recorded."""
    now = timezone.now()
    updated = Complaint.objects.filter(pk=complaint.pk, status__in=EDITABLE_STATES).update(
        declaration_accepted_at=now if accepted else None, updated_at=now
    )
    if updated:
        complaint.declaration_accepted_at = now if accepted else None
    return bool(updated) and accepted
