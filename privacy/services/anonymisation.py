"""Retention: a closed case whose last event is older than CASE_RETENTION_YEARS loses its personal
data and keeps its statistics (state, dates, company, province, amounts, channel).

What goes: the consumer's snapshot on the case (name, DNI, e-mail, phone, address), the free texts
(facts, request details, the officer's observation and rejection details, the company's answers, the
hearing notes, absence justifications, attendance names), the stored files (evidence, recordings,
actas, proofs of compliance, justification documents, cédula documents, outbox attachments), and
the text of the case's outbox rows and cédulas. Each removed file's SHA-256 and size are kept on the
`AnonymisedCase` row. The case's event chain is appended to (action "case_anonymised"), never edited,
so it still verifies; past events keep their reasons as written (they are immutable by design)."""

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Coalesce
from django.utils import timezone

from complaints.models import CaseEvent, CompanyAnswer, Complaint, Evidence, Offer
from complaints.services import lock_case, record_event
from complaints.states import CLOSED_STATES
from hearings.models import AbsenceJustification, Acta, Agreement, Attendance, ComplianceProof, Hearing, Recording
from notifications.models import FormalNotice, Notification, NotificationRetry
from privacy.actions import CASE_ANONYMISED
from privacy.models import AnonymisedCase

logger = logging.getLogger("privacy")

# The case's own personal data: blanked, never replaced by anything that looks like a person.
CASE_PERSONAL_FIELDS = (
    "consumer_name",
    "consumer_dni",
    "consumer_email",
    "consumer_phone",
    "consumer_address",
    "facts",
    "claim_detail",
    "observation",
    "rejection_detail",
)
HASH_CHUNK = 1024 * 1024


def retention_cutoff(now: datetime | None = None) -> datetime | None:
    """The moment before which a closed case's last event makes it due; None when retention is off."""
    years = settings.CASE_RETENTION_YEARS
    if not years:
        return None
    now = now or timezone.now()
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February, in a year that has none
        return now.replace(year=now.year - years, day=28)


def cases_due(*, now: datetime | None = None) -> QuerySet[Complaint]:
    """Closed cases not yet anonymised whose every event is older than the cutoff."""
    cutoff = retention_cutoff(now)
    if cutoff is None:
        return Complaint.objects.none()
    # The (complaint, created_at) index answers both probes.
    recent = CaseEvent.objects.filter(complaint=OuterRef("pk"), created_at__gte=cutoff)
    any_event = CaseEvent.objects.filter(complaint=OuterRef("pk"))
    return Complaint.objects.filter(
        Exists(any_event), ~Exists(recent), status__in=CLOSED_STATES, anonymisation__isnull=True
    )


def anonymise_closed_cases(*, now: datetime | None = None, batch_size: int = 100, max_batches: int = 100) -> int:
    """Anonymise every case due, one transaction per case, walking up by id (so a run always ends)."""
    done = 0
    last_pk = 0
    for _batch in range(max_batches):
        ids = list(cases_due(now=now).filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        for pk in ids:
            if case_anonymise(complaint_id=pk, now=now) is not None:
                done += 1
        last_pk = ids[-1]
    if done:
        logger.info("Retention: %s closed cases anonymised.", done)
    return done


def case_anonymise(*, complaint_id: int, now: datetime | None = None) -> AnonymisedCase | None:
    """Remove one closed case's personal data. None (and nothing done) when the case is open or
    already anonymised: safe to run twice. Files leave the storage only after the commit."""
    now = now or timezone.now()
    with transaction.atomic():
        case = lock_case(complaint_id)
        if case.status not in CLOSED_STATES or AnonymisedCase.objects.filter(complaint=case).exists():
            return None
        removed: list[dict] = []
        names: list[str] = []

        def take(kind: str, item_id: int, file: FieldFile, *, sha256: str = "", size: int | None = None) -> None:
            if not file:
                return
            removed.append({"kind": kind, "id": item_id, "sha256": sha256 or _sha256(file), "size": _size(file, size)})
            names.append(file.name or "")

        hearings = Hearing.objects.filter(complaint=case)
        for evidence in Evidence.objects.filter(complaint=case):
            take("evidence", evidence.pk, evidence.file, sha256=evidence.sha256, size=evidence.size)
        for recording in Recording.objects.filter(hearing__in=hearings):
            take("recording", recording.pk, recording.file)
        for acta in Acta.objects.filter(hearing__in=hearings):
            take("acta", acta.pk, acta.file, sha256=acta.sha256)
        for proof in ComplianceProof.objects.filter(agreement__complaint=case):
            take("compliance_proof", proof.pk, proof.file, size=proof.size)
        for justification in AbsenceJustification.objects.filter(hearing__in=hearings):
            take("justification", justification.pk, justification.file)
        notices = FormalNotice.objects.filter(case_number=case.number) if case.number else FormalNotice.objects.none()
        for notice in notices:
            take("formal_notice", notice.pk, notice.document)
        outbox = Notification.objects.filter(case_number=case.number) if case.number else Notification.objects.none()
        names += _attachment_paths(outbox.values_list("attachments", flat=True))

        Complaint.objects.filter(pk=case.pk).update(**dict.fromkeys(CASE_PERSONAL_FIELDS, ""), updated_at=now)
        Evidence.objects.filter(complaint=case).update(file="", original_name="", description="")
        Recording.objects.filter(hearing__in=hearings).update(file="", url="")
        Acta.objects.filter(hearing__in=hearings).update(file="")
        ComplianceProof.objects.filter(agreement__complaint=case).update(file="", original_name="", note="")
        AbsenceJustification.objects.filter(hearing__in=hearings).update(file="", text="", decision_reason="")
        Attendance.objects.filter(hearing__in=hearings).update(display_name="", note="")
        hearings.update(outcome_notes="", cancel_reason="")
        CompanyAnswer.objects.filter(complaint=case).update(text="")
        # Offers and agreements keep their amounts and dates; their words (often a name, an account
        # to pay into, an address) go.
        Offer.objects.filter(complaint=case).update(terms="", counter_terms="")
        Agreement.objects.filter(complaint=case).update(terms="", obligations="")
        notices.update(body="", document="")
        NotificationRetry.objects.filter(notification__in=outbox).update(previous_error="")
        # The delivery record keeps event, channel, status and time; the consumer's own address and
        # whatever a provider's error echoed of it go.
        outbox.filter(recipient_id=case.consumer_id).update(address="")
        # The context too: the worker renders a message from it, so it holds what the message said.
        outbox.update(
            body_text="",
            body_html="",
            context={},
            attachments=[],
            last_error="",
            redacted_at=Coalesce("redacted_at", Value(now)),
        )

        record_event(case=case, action=CASE_ANONYMISED.code, by=None)
        anonymised = AnonymisedCase.objects.create(complaint=case, anonymised_at=now, removed_files=removed)
        transaction.on_commit(partial(_delete_stored, [name for name in names if name]))
    return anonymised


def _sha256(file: FieldFile) -> str:
    digest = hashlib.sha256()
    try:
        with file.storage.open(file.name or "", "rb") as handle:
            for chunk in iter(partial(handle.read, HASH_CHUNK), b""):
                digest.update(chunk)
    except OSError:
        return ""  # already gone from the storage: nothing to hash
    return digest.hexdigest()


def _size(file: FieldFile, known: int | None) -> int | None:
    if known is not None:
        return known
    try:
        return file.storage.size(file.name or "")
    except OSError:
        return None


def _attachment_paths(attachment_lists: Iterable[list]) -> list[str]:
    return [item["path"] for items in attachment_lists for item in items or [] if item.get("path")]


def _delete_stored(names: list[str]) -> None:
    for name in dict.fromkeys(names):
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("Retention: could not delete the stored file %s.", name)
