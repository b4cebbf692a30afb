"""Filing: starting a draft, saving the answers of each step, keeping the consumer's snapshot fresh and
recording the declaration. Submission itself is a case move (`complaint_submit` in the package).

A draft may change only while it is editable (a draft, or an observed case being corrected): every
write here checks that under the row lock or in a conditional UPDATE, so an edit never lands on a
case that was submitted meanwhile in another tab."""

from collections.abc import Iterable, Mapping
from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import integrity, vulnerability
from complaints.models import CaseCompany, Channel, Complaint
from complaints.services import parts as case_parts
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
        "purchase_province",
        "purchase_city",
        "purchase_online",
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
    # A citizen without e-mail has a placeholder address that must never be shown or written to.
    case.consumer_email = "" if consumer.has_no_email else consumer.email
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
    locked = Complaint.objects.select_for_update(no_key=True).get(pk=complaint.pk)
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


def draft_add_company(
    *,
    complaint: Complaint,
    registered: Company | None,
    cuit: str,
    name: str,
    role: str = "",
    address: str = "",
    province: str = "",
    by: User,
    reached_step: int,
    position: int | None = None,
) -> CaseCompany:
    """Name one more company in the draft (or replace the one at `position`): a registered company,
    or one that is not registered, by its CUIT and name, with its part in the purchase and its domicile.

    Raises ValidationError when the company is already named or the draft names as many companies
    as it may (`settings.MAX_COMPANIES_PER_COMPLAINT`), DraftClosed when it is no longer editable.
    A case being corrected was submitted naming registered companies and must keep doing so: an
    unregistered one joins the registry now (`parties.services.PartiesError` if it cannot)."""
    with transaction.atomic():
        locked = _lock_editable(complaint)
        named = CaseCompany.objects.filter(complaint_id=locked.pk)
        if position is not None:
            named = named.exclude(position=position)
        if named.filter(cuit=registered.cuit if registered else cuit).exists():
            raise ValidationError(_("That company is already in your complaint."), code="duplicate")
        if position is None and named.count() >= settings.MAX_COMPANIES_PER_COMPLAINT:
            raise ValidationError(
                _("A complaint can name at most %(max)d companies.") % {"max": settings.MAX_COMPANIES_PER_COMPLAINT},
                code="too_many",
            )
        if registered is None and locked.status == State.OBSERVED:
            registered = company_create(cuit=cuit, legal_name=name.strip(), by=by, legal_address=address.strip())
        part = case_parts.name_company(
            locked,
            company=registered,
            cuit=cuit,
            name=name.strip(),
            role=role,
            address=address.strip(),
            province=province,
            position=position,
        )
        _bookmark(locked, reached_step)
        integrity.reseal(locked)  # a case being corrected may name other companies
    _copy_lead(complaint, locked)
    return part


def draft_save_company(
    *, complaint: Complaint, registered: Company | None, cuit: str, name: str, by: User, reached_step: int
) -> Company | None:
    """Replace the lead company (the single-company form of `draft_add_company`). Returns the
    registered company the case now names first, or None."""
    part = draft_add_company(
        complaint=complaint, registered=registered, cuit=cuit, name=name, by=by, reached_step=reached_step, position=1
    )
    return part.company


def draft_remove_company(*, complaint: Complaint, part_id: int) -> None:
    """Take a company off the draft; the others close ranks. Raises DraftClosed when the case is no
    longer editable; a part that is not this draft's is ignored."""
    with transaction.atomic():
        locked = _lock_editable(complaint)
        part = CaseCompany.objects.filter(complaint_id=locked.pk, pk=part_id).first()
        if part is None:
            return
        case_parts.remove_company(locked, part)
        integrity.reseal(locked)
    _copy_lead(complaint, locked)


def draft_save_vulnerability(*, complaint: Complaint, categories: Iterable[str], reached_step: int) -> None:
    """The consumer's own declaration of hipervulnerability (Res. 139/2020): the categories they
    tick, none to withdraw it. A flag an officer set stays as the officer left it."""
    chosen = [code for code, _label in vulnerability.CATEGORIES if code in set(categories)]
    with transaction.atomic():
        locked = _lock_editable(complaint)
        if locked.vulnerable_flagged_by_id is None:
            locked.vulnerable, locked.vulnerable_categories = bool(chosen), chosen
            locked.save(update_fields=["vulnerable", "vulnerable_categories", "updated_at"])
        _bookmark(locked, reached_step)
    complaint.vulnerable, complaint.vulnerable_categories = locked.vulnerable, locked.vulnerable_categories
    complaint.draft_step = locked.draft_step


def _bookmark(locked: Complaint, reached_step: int) -> None:
    if reached_step > locked.draft_step:
        locked.draft_step = reached_step
        locked.save(update_fields=["draft_step", "updated_at"])


def _copy_lead(complaint: Complaint, locked: Complaint) -> None:
    for field in ("company_id", "company_cuit", "company_name", "draft_step", "chain_seal"):
        setattr(complaint, field, getattr(locked, field))
    if complaint.company_id is None:
        complaint.company = None


def may_be_time_barred(purchase_date: date | None, *, today: date | None = None) -> bool:
    """Whether the purchase is older than the prescription period (LDC art. 50: 3 years by default,
    `settings.PRESCRIPTION_YEARS`). Only a warning: the office judges interruptions and the rest."""
    if purchase_date is None:
        return False
    today = today or timezone.localdate()
    return purchase_date < today - relativedelta(years=settings.PRESCRIPTION_YEARS)


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
