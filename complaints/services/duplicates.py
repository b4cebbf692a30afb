"""Duplicates at admission: the flag, set after a complaint is submitted, and the officer's three
decisions on a flagged one (complaints/policy.py asks who may, and when):

- join: the flagged (later) complaint B is closed into the earlier one A, which must still be open,
  unserved, naming every company B names, with room for B's evidence. B is closed by the existing
  `reject` transition with the reason "duplicate": the consumer's notice (and B's rejection detail)
  says where the case goes on, that B's claim is not carried into it, and the officer's note. A's
  record says only which case was joined and how many files came with it: B's facts and the note
  stay on B, so anonymising B wipes them, and no company of A reads them in an immutable event.
  Each evidence file of B is copied into A (a file is deleted with its row when a consumer removes
  it or a closed case is anonymised, so a shared file would vanish from the other case);
- reject as duplicate: the same rejection, A left as it is but for an event;
- not a duplicate: the flag is cleared; the event records who decided, and the pair is not flagged
  again if the complaint is resubmitted.

Each decision locks both cases, in id order, so two decisions on the same pair (or two officers
crossing over a pair from each end) wait for each other instead of deadlocking; the second one
finds the flag gone or the case closed and is refused.

The flag never slows or fails a submission: the submit move asks for it after its commit
(`flag_after_commit`: a Celery task with the id, robust, so a broker outage loses only the flag),
and the admission panel computes it on the spot if it is missing (complaints/templatetags/duplicates.py).

The evidence copies are written after the commit: inside the transaction the rows are written with a
stored name reserved for each copy, and the bytes are copied once the join is durable. A join rolled
back (here, or by an outer transaction after this one returns) leaves no file behind; a copy that
fails after the commit removes its row and is logged.
"""

import contextlib
import logging

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints import actions, policy
from complaints.duplicates import best_match
from complaints.errors import CaseError
from complaints.models import Complaint, Evidence, RejectionReason, evidence_upload_to
from complaints.records import record_text
from complaints.services import case_url, complaint_reject, lock_case, record_event
from complaints.states import State
from parties.models import User

logger = logging.getLogger("complaints.duplicates")


# --- The flag ---------------------------------------------------------------------------------------


def duplicate_flag(*, case_id: int) -> Complaint | None:
    """Flag a complaint awaiting admission with its likeliest earlier duplicate, or clear the flag
    when there is none now. Safe to run twice; a complaint no longer awaiting admission is left as
    it is. Returns the earlier case flagged, if any."""
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status != State.SUBMITTED:
            return None
        match = best_match(case)
        match_id = match.pk if match else None
        if match_id != case.duplicate_of_id:
            case.duplicate_of = match
            case.save(update_fields=["duplicate_of"])
    return match


def _queue_flag(case_id: int) -> None:
    from complaints.tasks_duplicates import flag_duplicate

    flag_duplicate.delay(case_id)


def flag_after_commit(*, case_id: int) -> None:
    """Ask for the flag once the submission is durable; a broker that is down is logged, and the
    admission panel computes the missing flag when an officer opens the complaint."""

    # A named callable, not a partial: Django logs a robust callback's failure by its __qualname__.
    def queue_flag() -> None:
        _queue_flag(case_id)

    transaction.on_commit(queue_flag, robust=True)


# --- The decisions ----------------------------------------------------------------------------------


def _lock_with_original(complaint: Complaint) -> tuple[Complaint, Complaint | None]:
    """The flagged case and the case it may duplicate, both locked, lower id first. The flag is read
    before the locks: if it changed meanwhile, the person reloads the page."""
    original_id = Complaint.objects.filter(pk=complaint.pk).values_list("duplicate_of_id", flat=True).first()
    if original_id is None:
        return lock_case(complaint.pk), None
    locked = {pk: lock_case(pk) for pk in sorted({complaint.pk, original_id})}
    case, original = locked[complaint.pk], locked[original_id]
    if case.duplicate_of_id != original_id:
        raise CaseError(_("Someone changed this complaint meanwhile: reload the page to see it as it is now."))
    case.duplicate_of = original
    return case, original


def _with_note(text: str, note: str) -> str:
    note = note.strip()
    return f"{text}\n{note}" if note else text


def _reject(case: Complaint, *, by: User, detail: str) -> Complaint:
    # The rejection's event and detail are part of the record: in the office's language.
    with translation.override(settings.LANGUAGE_CODE):
        return complaint_reject(complaint=case, by=by, reason=RejectionReason.DUPLICATE, detail=detail)


def _reserve_copies(case: Complaint, *, into: Complaint) -> list[tuple[str, Evidence]]:
    """A row in `into` for each evidence file of `case`, under a stored name of its own reserved for
    the copy written after the commit. Refused if a file cannot be found now."""
    planned: list[tuple[str, Evidence]] = []
    for item in case.evidence.order_by("pk"):
        source = item.file.name or ""
        if not source or not item.file.storage.exists(source):
            raise CaseError(
                _("The file “%(name)s” of %(number)s could not be read, so nothing was joined. Tell the support team.")
                % {"name": item.original_name, "number": case.number}
            )
        copy = Evidence(
            complaint=into,
            original_name=item.original_name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            description=f"{case.number} · {item.description}".rstrip(" ·")[:200],
            uploaded_by_id=item.uploaded_by_id,
        )
        copy.file.name = evidence_upload_to(copy, item.original_name)
        copy.save()
        planned.append((source, copy))
    return planned


def _write_copies(planned: list[tuple[str, int, str]]) -> None:
    """After the commit: the bytes of each reserved copy. One that fails loses its row (a row without
    its file is worse than none) and is logged; the others are kept."""
    for source, copy_id, reserved in planned:
        copy = Evidence.objects.filter(pk=copy_id).first()
        if copy is None:
            continue
        storage = copy.file.storage
        stored = ""
        try:
            with storage.open(source, "rb") as handle:
                stored = storage.save(reserved, File(handle))
            if stored != reserved:
                Evidence.objects.filter(pk=copy_id).update(file=stored)
        except Exception:
            logger.exception("Could not copy evidence %s into %s; its row is removed.", source, reserved)
            if stored:
                with contextlib.suppress(OSError):
                    storage.delete(stored)
            Evidence.objects.filter(pk=copy_id).delete()


def duplicate_join(*, complaint: Complaint, by: User, note: str = "") -> Complaint:
    """Close the flagged complaint into the earlier one. Returns the earlier case."""
    with transaction.atomic():
        case, original = _lock_with_original(complaint)
        policy.ensure(policy.JOIN_DUPLICATE, by, case)
        assert original is not None  # the rule refuses a case without the flag
        detail = record_text(
            gettext_noop(
                "It was joined into %(number)s, which goes on (%(url)s): the evidence you sent is now part of that "
                "case file. What you asked for in this complaint is not carried over: %(number)s goes on with "
                "what you asked for there; to change it, write to the office in that case."
            ),
            number=original.number,
            url=case_url(original),
        )
        _reject(case, by=by, detail=_with_note(detail, note))
        planned = _reserve_copies(case, into=original)
        record_event(
            case=original,
            action=actions.DUPLICATE_JOINED.code,
            by=by,
            reason=record_text(
                gettext_noop("%(number)s was joined into this case; evidence files added: %(count)s."),
                number=case.number,
                count=len(planned),
            ),
        )
        jobs = [(source, copy.pk, copy.file.name or "") for source, copy in planned]
        if jobs:

            def write_copies() -> None:
                _write_copies(jobs)

            transaction.on_commit(write_copies, robust=True)
    return original


def duplicate_reject(*, complaint: Complaint, by: User, detail: str = "") -> Complaint:
    """Reject the flagged complaint as a duplicate of the earlier one. Returns the rejected case."""
    with transaction.atomic():
        case, original = _lock_with_original(complaint)
        policy.ensure(policy.REJECT_DUPLICATE, by, case)
        assert original is not None  # the rule refuses a case without the flag
        link = record_text(
            gettext_noop("It repeats %(number)s (%(url)s), which goes on with what you asked for there."),
            number=original.number,
            url=case_url(original),
        )
        rejected = _reject(case, by=by, detail=_with_note(link, detail))
        record_event(case=original, action=actions.DUPLICATE_REJECTED.code, by=by, reason=case.number or "")
    return rejected


def duplicate_dismiss(*, complaint: Complaint, by: User, note: str = "") -> Complaint:
    """Not a duplicate: clear the flag; the complaint awaits admission as before."""
    with transaction.atomic():
        case, original = _lock_with_original(complaint)
        policy.ensure(policy.DISMISS_DUPLICATE, by, case)
        assert original is not None  # the rule refuses a case without the flag
        case.duplicate_of = None
        case.save(update_fields=["duplicate_of", "updated_at"])
        # The reason starts with the other case's number: complaints/duplicates.py reads it back.
        reason = f"{original.number}. {note.strip()}".strip() if note.strip() else str(original.number)
        record_event(case=case, action=actions.DUPLICATE_DISMISSED.code, by=by, reason=reason)
    return case
