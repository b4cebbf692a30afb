"""Homologation as an act: the disposición by which the director (or a delegate) homologates a case's
agreements, and the director's delegation of that power.

The disposición is rendered in the homologation's own transaction (hearings/services/approval.py),
not afterwards by a task: the act, its number, its document and its hash in the case's chain are one
thing, and it is either all there or not at all. A rolled-back homologation gives its number back
(the year's counter row stays locked until commit), so numbers are gapless. Rendering takes a few
hundred milliseconds (WeasyPrint, two pages), which a director's click can wait for; the year's
counter is held that long, which only serialises homologations with each other.

What proves the document: its SHA-256 and a keyed seal of it (complaints.integrity.document_seal,
the office's integrity key), stored on the row and written into the case's event chain
(`disposition_issued`). A PDF cannot print its own hash, so its footer prints the SHA-256 of what
it says (`content_digest`) and that digest's seal; the case page shows the file's.
"""

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import integrity
from complaints.models import Complaint
from complaints.services import record_event
from complaints.states import OFFICE_ROLES, State
from parties.models import Role, User

from ..errors import HearingError
from ..models import Acta, Agreement, DelegationChange, Disposition, DispositionSequence, Instalment

DISPOSITION_TEMPLATE = "hearings/pdf/disposition.html"


def signed_as(user: User) -> str:
    return Disposition.SignedAs.DIRECTOR if user.role == Role.DIRECTOR else Disposition.SignedAs.DELEGATE


def _next_number(year: int) -> int:
    """The year's next disposición number; the counter row stays locked until the caller commits."""
    DispositionSequence.objects.bulk_create([DispositionSequence(year=year)], ignore_conflicts=True)
    sequence = DispositionSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def content_digest(facts: dict) -> str:
    """The SHA-256 of what the disposición says, in a fixed order (not of its PDF bytes)."""
    lines = [
        facts["label"],
        facts["case"].number or "",
        facts["signed_by"].display_name,
        facts["signed_as"],
        facts["signed_at"].isoformat(),
        *facts["acta_hashes"],
        facts["offer_id"],
    ]
    for item in facts["items"]:
        agreement = item["agreement"]
        lines += [item["company"], agreement.terms, str(agreement.amount or ""), agreement.compliance_due.isoformat()]
        lines += [f"{i.number}|{i.due_date.isoformat()}|{i.amount}" for i in item["instalments"]]
    return hashlib.sha256("\x1f".join(lines).encode()).hexdigest()


def _facts(
    case: Complaint, agreements: Sequence[Agreement], actas: Sequence[Acta], *, label: str, by: User, at: datetime
) -> dict:
    instalments: dict[int, list[Instalment]] = {}
    for instalment in Instalment.objects.filter(agreement__in=agreements).order_by("number"):
        instalments.setdefault(instalment.agreement_id, []).append(instalment)
    items = []
    for agreement in agreements:
        part = agreement.part
        company = part.display_name if part is not None else case.company_display_name
        cuit = (part.company.cuit_display if part.company else part.cuit) if part is not None else case.company_cuit
        items.append(
            {"agreement": agreement, "company": company, "cuit": cuit, "instalments": instalments.get(agreement.pk, [])}
        )
    offer = next((o for o in case.offers.all() if o.status == "accepted"), None) if not actas else None
    return {
        "case": case,
        "label": label,
        "items": items,
        "actas": list(actas),
        "acta_hashes": [acta.sha256 for acta in actas],
        "offer": offer,
        "offer_id": str(offer.pk) if offer is not None else "",
        "signed_by": by,
        "signed_as": signed_as(by),
        "signed_as_label": Disposition.SignedAs(signed_as(by)).label,
        "signed_at": at,
        "office_name": settings.PRIVACY_OFFICE_NAME,
        "office_address": settings.PRIVACY_OFFICE_ADDRESS,
    }


def render_disposition(facts: dict) -> bytes:
    from complaints.pdf import render_pdf

    with translation.override(settings.LANGUAGE_CODE), timezone.override(timezone.get_default_timezone()):
        return render_pdf(DISPOSITION_TEMPLATE, facts)


def disposition_issue(
    *, case: Complaint, agreements: Sequence[Agreement], actas: Sequence[Acta], by: User
) -> Disposition:
    """Number, render, hash, seal and store the disposición, and write its hash into the case's
    chain. Called by agreement_approve inside its transaction, with the case row locked."""
    at = timezone.now()
    year = timezone.localtime(at).year
    number = _next_number(year)
    label = f"DI-{year}-{number:06d}"
    facts = _facts(case, agreements, actas, label=label, by=by, at=at)
    facts["content_sha256"] = content_digest(facts)
    facts["content_seal"] = integrity.document_seal(facts["content_sha256"])
    pdf = render_disposition(facts)
    digest = hashlib.sha256(pdf).hexdigest()
    disposition = Disposition(
        complaint=case,
        year=year,
        number=number,
        sha256=digest,
        seal=integrity.document_seal(digest),
        content_sha256=facts["content_sha256"],
        content_seal=facts["content_seal"],
        signed_by=by,
        signed_as=facts["signed_as"],
        signed_at=at,
    )
    disposition.file.save("disposicion.pdf", ContentFile(pdf), save=False)
    # The file is written before the row: a failure from here on must not leave it behind.
    try:
        disposition.save()
        disposition.agreements.set(agreements)
        record_event(
            case=case,
            action="disposition_issued",
            by=by,
            reason=f"{label} · SHA-256 {digest} · {disposition.seal}",
        )
    except Exception:
        disposition.file.delete(save=False)
        raise
    return disposition


def seal_matches(seal: str, sha256_hex: str) -> bool:
    key_id = seal.partition(":")[0]
    if key_id not in integrity.keys():  # noqa: SIM118  (a function, not a dict)
        return False
    return hmac.compare_digest(seal, integrity.document_seal(sha256_hex, key_id=key_id))


def disposition_verifies(disposition: Disposition) -> bool:
    """The stored file is the one homologated: its SHA-256 is the one kept, sealed with the office's
    key, and the case's chain holds it."""
    with disposition.file.open("rb") as stored:
        digest = hashlib.sha256(stored.read()).hexdigest()
    return (
        hmac.compare_digest(digest, disposition.sha256)
        and seal_matches(disposition.seal, digest)
        and seal_matches(disposition.content_seal, disposition.content_sha256)
        and disposition.complaint.events.filter(action="disposition_issued", reason__contains=digest).exists()
    )


# --- Who may homologate: the director's delegation ---------------------------------------------------


def delegation_set(*, user: User, granted: bool, by: User) -> User:
    """The director grants or withdraws the delegation to homologate to an officer or supervisor.
    Setting it to what it already is changes nothing and writes no row (a double submit)."""
    if by.role != Role.DIRECTOR:
        raise HearingError(_("Only the director grants or withdraws the delegation to homologate."))
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=user.pk)
        if person.role not in OFFICE_ROLES:
            raise HearingError(_("The delegation to homologate is granted only to officers and supervisors."))
        if person.may_homologate != granted:
            person.may_homologate = granted
            person.save(update_fields=["may_homologate"])
            DelegationChange.objects.create(user=person, granted=granted, by=by, at=timezone.now())
    return person


def delegable_staff(text: str = "") -> QuerySet[User]:
    """The office staff the director may delegate to, delegates first (filtered in SQL)."""
    staff = User.objects.filter(role__in=OFFICE_ROLES, is_active=True)
    if text:
        staff = staff.filter(Q(email__icontains=text) | Q(first_name__icontains=text) | Q(last_name__icontains=text))
    return staff.order_by("-may_homologate", "last_name", "first_name", "pk")


# --- What awaits homologation ---------------------------------------------------------------------------


def awaiting_homologation(cases: QuerySet[Complaint], text: str = "") -> QuerySet[Complaint]:
    """Cases whose agreement awaits homologation, the longest waiting first. Their age is counted
    from `updated_at`: the agreement's move is the case row's last save (events and acta
    confirmations do not save it). Few cases are in this state at once; the status index finds them."""
    rows = cases.filter(status=State.AGREEMENT)
    if text:
        rows = rows.filter(
            Q(number__icontains=text) | Q(company_name__icontains=text) | Q(consumer_name__icontains=text)
        )
    return rows.select_related("company").order_by("updated_at", "pk")
