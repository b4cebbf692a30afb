"""The legal directorate's moves on one company's proceeding, and the company's own (its defence and
its appeal). The shape never varies: lock, ask the rule, transition, save, event, notices."""

import hashlib
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints.actions import CaseAction
from complaints.records import record_text
from complaints.services import complaint_transition, notify_case_parties, record_event
from complaints.states import State
from complaints.uploads import validate_evidence
from notifications.models import FormalNotice
from notifications.services import FormalNoticeError, formal_notice_serve
from parties.models import User

from .. import actions, policy
from ..errors import LegalError
from ..models import AppealOutcome, Proceeding, ProceedingStatus, ReferralReason
from ..notify import tell
from . import lock_proceeding


def day_on_record(moment: datetime) -> str:
    """The day of a moment as the case's record writes it (a legal window ends on a day)."""
    return f"{timezone.localtime(moment):%d/%m/%Y}"


def _event(proceeding: Proceeding, action: CaseAction, *, by: User | None, reason: str):
    """The move's line on the case's chain, naming the company (a case may have several)."""
    return record_event(
        case=proceeding.complaint, action=action.code, by=by, reason=f"{proceeding.company_name}: {reason}".strip()
    )


def _save(proceeding: Proceeding, *fields: str) -> None:
    proceeding.save(update_fields=["status", "updated_at", *fields])


def _serve(proceeding: Proceeding, what: str, *, subject: str, body: str) -> FormalNotice:
    """The charge or the resolution as a formal notice (cédula) on the company's electronic domicile,
    in the caller's transaction; served when a representative opens it or, failing that, deemed
    served after NOTICE_DEEMED_SERVED business days (notifications/services/formal_notices.py).
    Its window starts then (legal/services/deadlines.py `start_served_windows`)."""
    if (refusal := policy.unserved_refusal(proceeding)) is not None:
        raise LegalError(refusal.message)
    company = proceeding.part.company
    assert company is not None  # unserved_refusal asked
    try:
        return formal_notice_serve(
            company=company,
            case_number=proceeding.complaint.number or "",
            subject=subject,
            body=body,
            idempotency_key=f"legal:{proceeding.pk}:{what}",
        )
    except FormalNoticeError as error:
        raise LegalError(str(error)) from None


def proceeding_receive(*, proceeding: Proceeding, by: User, note: str = "") -> Proceeding:
    """The legal directorate acknowledges the referral: the parties learn it has the case. A case
    still waiting in "no agreement" (the hearing ended without one and nobody referred it) is referred
    now, by the system on the directorate's receipt, so the conciliation record closes as referred."""
    with transaction.atomic():
        locked = lock_proceeding(proceeding.pk)
        policy.ensure(policy.RECEIVE, by, locked)
        if locked.complaint.status == State.NO_AGREEMENT:
            why = record_text(
                gettext_noop("Referred on the legal directorate's receipt: the hearing ended without agreement.")
            )
            move = complaint_transition(complaint=locked.complaint, transition="refer", by=None, reason=why)
            locked.complaint = move.case
            notify_case_parties(
                move.case, "complaint_referred", key=f"case-event:{move.event.pk}", context={"reason": why}
            )
        locked.acknowledged_at, locked.acknowledged_by = timezone.now(), by
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
        reason = note.strip() or record_text(gettext_noop("The legal directorate received the referral."))
        event = _event(locked, actions.LEGAL_RECEIVED, by=by, reason=reason)
        tell(locked, "received", key=f"case-event:{event.pk}")
    return locked


def proceeding_charge(*, proceeding: Proceeding, by: User, text: str) -> Proceeding:
    """The imputación, served as a formal notice on the company's electronic domicile. The company's
    DEFENCE_DAYS business days for its defence (Ley 24.240 art. 45) run from the notice's service,
    not from now: `defence_due_at` stays empty until then."""
    text = text.strip()
    if not text:
        raise LegalError(_("Write the charge: the facts and the provisions infringed."))
    with transaction.atomic():
        locked = lock_proceeding(proceeding.pk)
        policy.ensure(policy.CHARGE, by, locked)
        now = timezone.now()
        days = settings.LEGAL["DEFENCE_DAYS"]
        locked.charge()
        with translation.override(settings.LANGUAGE_CODE):
            notice = _serve(
                locked,
                "charge",
                subject=_("Charge (imputación) in case %(number)s") % {"number": locked.complaint.number},
                body=_(
                    "The legal directorate charges your company with an infraction:\n\n%(text)s\n\n"
                    "You may file your defence (descargo) within %(days)s business days of this notice's service."
                )
                % {"text": text, "days": days},
            )
        locked.charged_at, locked.charge_text, locked.charge_notice = now, text, notice
        locked.defence_started_at = locked.defence_due_at = None
        locked.decided_by, locked.decided_at = by, now
        _save(
            locked,
            "charged_at",
            "charge_text",
            "charge_notice",
            "defence_started_at",
            "defence_due_at",
            "decided_by",
            "decided_at",
        )
        reason = record_text(
            gettext_noop(
                "%(text)s (served as a formal notice on %(domicile)s; the defence is due %(days)s business days "
                "after its service)"
            ),
            text=text,
            domicile=notice.address,
            days=days,
        )
        event = _event(locked, actions.LEGAL_CHARGED, by=by, reason=reason)
        tell(locked, "charged", key=f"case-event:{event.pk}", text=text)
    return locked


def proceeding_archive(*, proceeding: Proceeding, by: User, reason: str) -> Proceeding:
    reason = reason.strip()
    if not reason:
        raise LegalError(_("Say why the referral is archived."))
    with transaction.atomic():
        locked = lock_proceeding(proceeding.pk)
        policy.ensure(policy.ARCHIVE, by, locked)
        now = timezone.now()
        locked.archive()
        locked.archive_reason, locked.decided_by, locked.decided_at = reason, by, now
        _save(locked, "archive_reason", "decided_by", "decided_at")
        event = _event(locked, actions.LEGAL_ARCHIVED, by=by, reason=reason)
        tell(locked, "archived", key=f"case-event:{event.pk}", reason=reason)
    return locked


def _checked_pdf(upload: UploadedFile) -> tuple[str, int]:
    """The evidence rules (complaints/uploads.py: name, size, content sniffed), and a PDF only."""
    try:
        content_type = validate_evidence(upload, already=0)
    except ValidationError as error:
        raise LegalError(" ".join(error.messages)) from None
    if content_type != "application/pdf":
        raise LegalError(_("The defence must be a PDF file."))
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest(), upload.size or 0


def _filed_on_paper(filed_on: date | None, *, since: datetime | None, due: datetime | None, what: str) -> date:
    """The day a writing was filed at the office's counter, checked: not in the future, not before
    the act it answers, and not after its deadline (when the window has started)."""
    if filed_on is None:
        raise LegalError(_("Enter the date the %(what)s was filed at the office.") % {"what": what})
    if filed_on > timezone.localdate():
        raise LegalError(_("The date the %(what)s was filed cannot be in the future.") % {"what": what})
    if since is not None and filed_on < timezone.localdate(since):
        raise LegalError(
            _("The %(what)s cannot have been filed on %(day)s, before the act it answers (%(since)s).")
            % {"what": what, "day": f"{filed_on:%d/%m/%Y}", "since": day_on_record(since)}
        )
    if due is not None and filed_on > timezone.localdate(due):
        raise LegalError(
            _("The %(what)s was filed on %(day)s, after its deadline (%(due)s): it cannot be recorded.")
            % {"what": what, "day": f"{filed_on:%d/%m/%Y}", "due": day_on_record(due)}
        )
    return filed_on


def proceeding_file_defence(
    *,
    proceeding: Proceeding,
    by: User,
    text: str,
    file: UploadedFile | None = None,
    filed_on: date | None = None,
) -> Proceeding:
    """The company's descargo, by a representative who binds it, before the deadline; or one filed
    on paper at the office, recorded by the legal directorate with the day it was filed (`filed_on`),
    which is what the deadline is checked against. Filed in time but recorded after the beat lapsed
    the window, it brings the proceeding back to "defence filed"."""
    text = text.strip()
    if not text and file is None:
        raise LegalError(_("Write the defence or attach it as a PDF."))
    digest = _checked_pdf(file)[0] if file is not None else ""
    stored = ""
    try:
        with transaction.atomic():
            locked = lock_proceeding(proceeding.pk)
            policy.ensure(policy.FILE_DEFENCE, by, locked)
            on_paper = policy.is_legal(by)
            lapsed = locked.status == ProceedingStatus.AWAITING_RESOLUTION
            if on_paper:
                filed_on = _filed_on_paper(
                    filed_on, since=locked.charged_at, due=locked.defence_due_at, what=_("defence")
                )
            else:
                filed_on = None
            locked.file_defence()
            locked.defence_text, locked.defence_sha256 = text, digest
            locked.defence_filed_at, locked.defence_filed_by, locked.defence_on_paper = timezone.now(), by, on_paper
            locked.defence_filed_on = filed_on
            fields = [
                "defence_text",
                "defence_sha256",
                "defence_filed_at",
                "defence_filed_by",
                "defence_on_paper",
                "defence_filed_on",
            ]
            if file is not None:
                locked.defence_file.save("descargo.pdf", file, save=False)
                stored = locked.defence_file.name or ""
                fields.append("defence_file")
            _save(locked, *fields)
            if on_paper:
                assert filed_on is not None
                message = record_text(
                    gettext_noop("Defence filed on paper at the office on %(day)s and recorded."),
                    day=f"{filed_on:%d/%m/%Y}",
                )
                if lapsed:
                    message += " " + record_text(
                        gettext_noop("It was filed in time: the proceeding awaits the resolution with this defence.")
                    )
            else:
                message = record_text(gettext_noop("Defence filed by the company's representative."))
            reason = message + (f" SHA-256 {digest}" if digest else "")
            event = _event(locked, actions.DEFENCE_FILED, by=by, reason=reason)
            tell(locked, "defence_filed", key=f"case-event:{event.pk}")
    except BaseException:
        # Storage is not transactional: a document stored by a move that rolled back is removed.
        if stored:
            Proceeding._meta.get_field("defence_file").storage.delete(stored)
        raise
    return locked


def fine_bounds(proceeding: Proceeding) -> tuple[int, int]:
    """Unidades fijas: the company's unexcused absence (Ley 757 art. 9 d), or any other infraction."""
    if proceeding.referral_reason == ReferralReason.COMPANY_ABSENT:
        return settings.LEGAL["ABSENCE_FINE_MIN_UF"], settings.LEGAL["ABSENCE_FINE_MAX_UF"]
    return settings.LEGAL["FINE_MIN_UF"], settings.LEGAL["FINE_MAX_UF"]


def check_fine(proceeding: Proceeding, fine_units: int | None) -> int:
    low, high = fine_bounds(proceeding)
    if fine_units is None:
        raise LegalError(_("Enter the fine in unidades fijas."))
    if not low <= fine_units <= high:
        if proceeding.referral_reason == ReferralReason.COMPANY_ABSENT:
            raise LegalError(
                _(
                    "A fine for the company's absence from the hearing must be between %(low)s and %(high)s "
                    "unidades fijas (Ley 757, art. 9 d); %(units)s is outside that range."
                )
                % {"low": f"{low:,}".replace(",", "."), "high": f"{high:,}".replace(",", "."), "units": fine_units}
            )
        raise LegalError(
            _("The fine must be between %(low)s and %(high)s unidades fijas; %(units)s is outside that range.")
            % {"low": f"{low:,}".replace(",", "."), "high": f"{high:,}".replace(",", "."), "units": fine_units}
        )
    return fine_units


def proceeding_resolve(
    *,
    proceeding: Proceeding,
    by: User,
    sanction: bool,
    text: str,
    act_number: str,
    fine_units: int | None = None,
) -> Proceeding:
    """The resolution, by an act with its number, served as a formal notice on the company: a fine
    (the APPEAL_DAYS business days to appeal run from the notice's service) or a dismissal."""
    text, act_number = text.strip(), act_number.strip()
    if not text:
        raise LegalError(_("Write the grounds of the resolution."))
    if not act_number:
        raise LegalError(_("Enter the number of the act (for example “Disposición 123/2026”)."))
    with transaction.atomic():
        locked = lock_proceeding(proceeding.pk)
        policy.ensure(policy.RESOLVE, by, locked)
        now = timezone.now()
        locked.resolution_text, locked.act_number = text, act_number
        locked.decided_by, locked.decided_at = by, now
        fields = ["resolution_text", "act_number", "decided_by", "decided_at"]
        if sanction:
            units = check_fine(locked, fine_units)
            days = settings.LEGAL["APPEAL_DAYS"]
            locked.sanction()
            with translation.override(settings.LANGUAGE_CODE):
                notice = _serve(
                    locked,
                    "resolution",
                    subject=_("Resolution in case %(number)s: %(act)s")
                    % {"number": locked.complaint.number, "act": act_number},
                    body=_(
                        "By %(act)s the legal directorate fines your company %(units)s unidades fijas.\n\n%(text)s"
                        "\n\nYou may appeal within %(days)s business days of this notice's service."
                    )
                    % {"act": act_number, "units": units, "text": text, "days": days},
                )
            locked.fine_units, locked.fine_units_imposed, locked.resolution_notice = units, units, notice
            locked.appeal_started_at = locked.appeal_due_at = None
            fields += ["fine_units", "fine_units_imposed", "resolution_notice", "appeal_started_at", "appeal_due_at"]
            _save(locked, *fields)
            reason = record_text(
                gettext_noop(
                    "%(act)s: fine of %(units)s unidades fijas (served as a formal notice; the appeal is due "
                    "%(days)s business days after its service). %(text)s"
                ),
                act=act_number,
                units=units,
                days=days,
                text=text,
            )
            event = _event(locked, actions.LEGAL_SANCTIONED, by=by, reason=reason)
            tell(locked, "sanctioned", key=f"case-event:{event.pk}", text=text, act_number=act_number, fine_units=units)
        else:
            locked.dismiss()
            if policy.unserved_refusal(locked) is None:
                with translation.override(settings.LANGUAGE_CODE):
                    locked.resolution_notice = _serve(
                        locked,
                        "resolution",
                        subject=_("Resolution in case %(number)s: %(act)s")
                        % {"number": locked.complaint.number, "act": act_number},
                        body=_("By %(act)s the legal directorate dismisses the proceeding against your company.")
                        % {"act": act_number}
                        + f"\n\n{text}",
                    )
                fields.append("resolution_notice")
            _save(locked, *fields)
            event = _event(locked, actions.LEGAL_DISMISSED, by=by, reason=f"{act_number}. {text}")
            tell(locked, "dismissed", key=f"case-event:{event.pk}", text=text, act_number=act_number)
    return locked


def proceeding_file_appeal(*, proceeding: Proceeding, by: User, text: str, filed_on: date | None = None) -> Proceeding:
    """The company appeals the sanction within the window; or the office records one filed on paper,
    with the day it was filed (`filed_on`), checked against the window, even if the beat has since
    made the sanction final for want of an appeal."""
    text = text.strip()
    if not text:
        raise LegalError(_("Write the grounds of the appeal."))
    with transaction.atomic():
        locked = lock_proceeding(proceeding.pk)
        policy.ensure(policy.FILE_APPEAL, by, locked)
        on_paper = policy.is_legal(by)
        if on_paper:
            resolved = locked.resolution_notice.sent_at if locked.resolution_notice is not None else None
            filed_on = _filed_on_paper(filed_on, since=resolved, due=locked.appeal_due_at, what=_("appeal"))
        else:
            filed_on = None
        locked.appeal()
        locked.appeal_text, locked.appealed_at, locked.appeal_filed_by = text, timezone.now(), by
        locked.appeal_filed_on, locked.final_at = filed_on, None
        _save(locked, "appeal_text", "appealed_at", "appeal_filed_by", "appeal_filed_on", "final_at")
        reason = text
        if filed_on is not None:
            reason = (
                record_text(gettext_noop("Appeal filed on paper at the office on %(day)s."), day=f"{filed_on:%d/%m/%Y}")
                + f" {text}"
            )
        event = _event(locked, actions.APPEAL_FILED, by=by, reason=reason)
        tell(locked, "appealed", key=f"case-event:{event.pk}", text=text)
    return locked


def proceeding_finalize(*, proceeding: Proceeding, by: User | None) -> Proceeding:
    """The sanction becomes final because its appeal window passed without an appeal: recorded by the
    directorate, or (by=None) by the beat. (An appeal's result is `proceeding_decide_appeal`.)"""
    with transaction.atomic():
        locked = lock_proceeding(proceeding.pk)
        if by is None:
            if not (locked.status == ProceedingStatus.SANCTIONED and _window_passed(locked)):
                raise LegalError(_("The appeal window of this proceeding has not passed."))
        else:
            policy.ensure(policy.FINALIZE, by, locked)
        now = timezone.now()
        locked.finalize()
        locked.final_at = now
        fields = ["final_at"]
        if by is not None:
            locked.decided_by, locked.decided_at = by, now
            fields += ["decided_by", "decided_at"]
        _save(locked, *fields)
        reason = record_text(gettext_noop("The appeal window passed without an appeal: the sanction is final."))
        event = _event(locked, actions.LEGAL_FINAL, by=by, reason=reason)
        tell(locked, "final", key=f"case-event:{event.pk}", fine_units=locked.fine_units)
    return locked


def proceeding_decide_appeal(
    *, proceeding: Proceeding, by: User, outcome: str, text: str, fine_units: int | None = None
) -> Proceeding:
    """The appeal's result, as the authority that heard it decided: the sanction confirmed (final as
    imposed), the fine reduced to `fine_units` (final with the new amount), or the sanction revoked
    (no fine). Each its own status, event and notice."""
    text = text.strip()
    if outcome not in AppealOutcome.values:
        raise LegalError(_("Choose the result of the appeal."))
    if not text:
        raise LegalError(_("Record the result of the appeal."))
    with transaction.atomic():
        locked = lock_proceeding(proceeding.pk)
        policy.ensure(policy.DECIDE_APPEAL, by, locked)
        now = timezone.now()
        imposed = locked.fine_units_imposed or locked.fine_units
        fields = ["appeal_outcome", "appeal_result", "fine_units_imposed", "final_at", "decided_by", "decided_at"]
        context: dict[str, Any] = {"text": text}
        if outcome == AppealOutcome.REVOKED:
            locked.revoke_on_appeal()
            locked.fine_units = None
            fields.append("fine_units")
            action, update = actions.SANCTION_REVOKED, "sanction_revoked"
            reason = record_text(
                gettext_noop("The sanction (%(units)s unidades fijas) was revoked on appeal. %(text)s"),
                units=imposed,
                text=text,
            )
        elif outcome == AppealOutcome.REDUCED:
            if fine_units is None:
                raise LegalError(_("Enter the reduced fine in unidades fijas."))
            if imposed is not None and not 1 <= fine_units < imposed:
                raise LegalError(
                    _("A reduced fine must be less than the %(units)s unidades fijas imposed.") % {"units": imposed}
                )
            locked.uphold_on_appeal()
            locked.fine_units = fine_units
            fields.append("fine_units")
            action, update = actions.FINE_REDUCED, "fine_reduced"
            context["fine_units"] = fine_units
            reason = record_text(
                gettext_noop(
                    "The fine was reduced on appeal from %(before)s to %(units)s unidades fijas, now final. %(text)s"
                ),
                before=imposed,
                units=fine_units,
                text=text,
            )
        else:
            locked.uphold_on_appeal()
            action, update = actions.SANCTION_CONFIRMED, "sanction_confirmed"
            context["fine_units"] = locked.fine_units
            reason = record_text(
                gettext_noop("The sanction (%(units)s unidades fijas) was confirmed on appeal and is final. %(text)s"),
                units=locked.fine_units,
                text=text,
            )
        locked.appeal_outcome, locked.appeal_result, locked.fine_units_imposed = outcome, text, imposed
        locked.final_at, locked.decided_by, locked.decided_at = now, by, now
        _save(locked, *fields)
        event = _event(locked, action, by=by, reason=reason)
        tell(locked, update, key=f"case-event:{event.pk}", **context)
    return locked


def _window_passed(proceeding: Proceeding) -> bool:
    return proceeding.appeal_due_at is not None and proceeding.appeal_due_at < timezone.now()
