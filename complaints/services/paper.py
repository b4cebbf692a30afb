"""Serving on paper a company that has no electronic domicile (art. 40 parts; issue 12).

Nobody can be held to a deadline they were never proven to know of. A company without an electronic
domicile is served by a printed cédula (or a carta documento) at its address; the office records
the dispatch and then the delivery, with the receipt, or the failed delivery. Only the recorded
delivery starts the company's deadline to set up its electronic domicile (`CaseCompany.notified_at`,
`domicile_due_at`); a failed delivery leaves the clock stopped and asks the office for another
address. One notice is in flight per company at a time (a database constraint says so too).

Each move: atomic, the case's row lock first, the predicate asked under it, an event naming the
company, the address and the tracking number.
"""

import hashlib
from datetime import date, datetime, time

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from complaints import actions
from complaints.errors import CaseError
from complaints.models import CaseCompany, Complaint, PaperNotice, PartStatus, ServiceMethod
from complaints.services import case_url, lock_case, notify_case_parties, record_event
from complaints.services import parts as case_parts
from complaints.services.assignment import apply_assignment_rules
from complaints.states import State
from complaints.uploads import sniff_content_type
from parties.business_days import deadline_after
from parties.models import User

IN_FLIGHT = (PaperNotice.Status.PRINTED, PaperNotice.Status.DISPATCHED)
RECEIPT_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
NOT_YET = "none"  # the list's filter: no notice printed yet


# --- Who awaits paper service, and what may be done now -------------------------------------------


def _without_electronic_domicile() -> Q:
    return Q(company__isnull=True) | Q(company__electronic_domicile="")


def parts_to_serve_on_paper() -> QuerySet[CaseCompany]:
    """Companies of admitted cases with no electronic domicile whose notice is not yet proven
    delivered, each with the status and date of its last paper notice (one subquery each, no N+1)."""
    last = PaperNotice.objects.filter(part=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        CaseCompany.objects.filter(status=PartStatus.NAMED, notified_at__isnull=True, complaint__status=State.ADMITTED)
        .filter(_without_electronic_domicile())
        .annotate(
            last_notice_status=Subquery(last.values("status")[:1]),
            last_notice_at=Subquery(last.values("created_at")[:1]),
        )
        .select_related("complaint", "company")
    )


def filter_by_last_notice(parts: QuerySet[CaseCompany], status: str) -> QuerySet[CaseCompany]:
    if status == NOT_YET:
        return parts.filter(~Exists(PaperNotice.objects.filter(part=OuterRef("pk"))))
    if status in PaperNotice.Status.values:
        return parts.filter(last_notice_status=status)  # type: ignore[misc]  # annotated by parts_to_serve_on_paper
    return parts


def paper_address(part: CaseCompany) -> str:
    """Where the notice goes: the address the consumer gave, else the company's legal address."""
    if part.address:
        return part.address
    return part.company.legal_address if part.company_id and part.company else ""


def notice_in_flight(part: CaseCompany) -> PaperNotice | None:
    return PaperNotice.objects.filter(part_id=part.pk, status__in=IN_FLIGHT).first()


def awaits_paper_service(part: CaseCompany, case: Complaint) -> bool:
    """May the office send this company a notice on paper now? Asked by the services (under the
    lock), the views and the page alike."""
    return (
        case.status == State.ADMITTED
        and part.status == PartStatus.NAMED
        and part.notified_at is None
        and not part.has_electronic_domicile
    )


# --- The moves ------------------------------------------------------------------------------------


def _lock_part(part: CaseCompany) -> tuple[Complaint, CaseCompany]:
    case = lock_case(part.complaint_id)
    locked = CaseCompany.objects.select_for_update(of=("self",)).select_related("company").get(pk=part.pk)
    locked.complaint = case
    return case, locked


def _awaiting_or_refuse(part: CaseCompany, case: Complaint) -> None:
    """Refuse a paper move once the company no longer awaits paper service: the case closed or moved
    on, or the company was served another way (it set up its electronic domicile, or appeared)."""
    if not awaits_paper_service(part, case):
        raise CaseError(
            _("%(company)s does not await a notice on paper in this case.") % {"company": part.display_name}
        )


def _in_flight_or_refuse(part: CaseCompany) -> PaperNotice:
    notice = PaperNotice.objects.select_for_update().filter(part_id=part.pk, status__in=IN_FLIGHT).first()
    if notice is None:
        raise CaseError(
            _("There is no paper notice on its way to %(company)s: print one first.") % {"company": part.display_name}
        )
    return notice


def _moment(day: date) -> datetime:
    """A day the office records (dispatch, delivery) as a moment: now if it is today, else the start
    of that local day. Deadlines count whole business days from the day, so the hour does not matter."""
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.combine(day, time.min))


def _check_day(day: date, *, after: datetime | None, what: str) -> None:
    if day > timezone.localdate():
        raise CaseError(_("The date of the %(what)s cannot be in the future.") % {"what": what})
    if after is not None and day < timezone.localdate(after):
        raise CaseError(
            _("The date of the %(what)s cannot be before %(day)s, when the notice was printed or dispatched.")
            % {"what": what, "day": formats.date_format(timezone.localdate(after), "SHORT_DATE_FORMAT")}
        )


def paper_notice_print(
    *, part: CaseCompany, by: User, kind: str = PaperNotice.Kind.CEDULA, address: str = ""
) -> PaperNotice:
    """Print the cédula for a company (its PDF stored, with its hash), or record a carta documento.
    A new `address` (after a failed delivery) becomes the company's address in the case."""
    if kind not in PaperNotice.Kind.values:
        raise CaseError(_("Choose how the notice is sent."))
    with transaction.atomic():
        case, part = _lock_part(part)
        if not awaits_paper_service(part, case):
            raise CaseError(
                _("%(company)s does not await a notice on paper in this case.") % {"company": part.display_name}
            )
        in_flight = notice_in_flight(part)
        if in_flight is not None:
            raise CaseError(
                _(
                    "A notice to %(company)s is already on its way (%(status)s, to %(address)s). "
                    "Record its delivery or its failure before sending another."
                )
                % {
                    "company": part.display_name,
                    "status": in_flight.get_status_display(),
                    "address": in_flight.address,
                }
            )
        address = " ".join(address.split()) or paper_address(part)
        if not address:
            raise CaseError(_("Enter the address the notice goes to: the company has none on record."))
        if address != part.address:
            part.address = address
            part.save(update_fields=["address"])
        notice = PaperNotice.objects.create(
            part=part, kind=kind, address=address, printed_at=timezone.now(), recorded_by=by
        )
        if kind == PaperNotice.Kind.CEDULA:
            pdf = render_cedula(case, part, notice)
            notice.sha256 = hashlib.sha256(pdf).hexdigest()
            notice.document.save(f"cedula-{case.number}.pdf", ContentFile(pdf), save=False)
            notice.save(update_fields=["sha256", "document"])
        record_event(
            case=case,
            action=actions.PAPER_NOTICE_PRINTED.code,
            by=by,
            reason=_("%(company)s: %(kind)s to %(address)s.")
            % {"company": part.display_name, "kind": notice.get_kind_display(), "address": address}
            + (f" SHA-256 {notice.sha256}." if notice.sha256 else ""),
        )
    return notice


def paper_notice_dispatch(*, part: CaseCompany, by: User, dispatched_on: date, tracking_number: str) -> PaperNotice:
    tracking_number = tracking_number.strip()
    if not tracking_number:
        raise CaseError(_("Enter the tracking number the post office or the notifier gave."))
    with transaction.atomic():
        case, part = _lock_part(part)
        _awaiting_or_refuse(part, case)
        notice = _in_flight_or_refuse(part)
        if notice.status != PaperNotice.Status.PRINTED:
            raise CaseError(_("This notice was already dispatched."))
        _check_day(dispatched_on, after=notice.printed_at, what=_("dispatch"))
        notice.status = PaperNotice.Status.DISPATCHED
        notice.dispatched_at = _moment(dispatched_on)
        notice.tracking_number = tracking_number
        notice.save(update_fields=["status", "dispatched_at", "tracking_number"])
        record_event(
            case=case,
            action=actions.PAPER_NOTICE_DISPATCHED.code,
            by=by,
            reason=_("%(company)s: %(kind)s dispatched on %(day)s to %(address)s, tracking number %(tracking)s.")
            % _described(part, notice, dispatched_on),
        )
    return notice


def paper_notice_deliver(*, part: CaseCompany, by: User, delivered_on: date, receipt: UploadedFile) -> PaperNotice:
    """The proven notification: the company's deadline to set up its electronic domicile starts."""
    extension = _checked_receipt(receipt)
    with transaction.atomic():
        case, part = _lock_part(part)
        notice = _in_flight_or_refuse(part)
        if notice.status != PaperNotice.Status.DISPATCHED:
            raise CaseError(_("Record the dispatch of the notice before its delivery."))
        _check_day(delivered_on, after=notice.dispatched_at, what=_("delivery"))
        delivered_at = _moment(delivered_on)
        notice.status = PaperNotice.Status.DELIVERED
        notice.delivered_at = delivered_at
        notice.recorded_by = by
        notice.receipt.save(f"receipt.{extension}", receipt, save=False)
        notice.save(update_fields=["status", "delivered_at", "recorded_by", "receipt"])
        reason = _("%(company)s: %(kind)s delivered on %(day)s at %(address)s, tracking number %(tracking)s.") % (
            _described(part, notice, delivered_on)
        )
        starts_clock = part.status == PartStatus.NAMED and part.notified_at is None and not part.has_electronic_domicile
        if starts_clock:
            due = deadline_after(delivered_at, settings.DEADLINES["COMPANY_DOMICILE"])
            part.notified_at = delivered_at
            part.service_method = ServiceMethod.PAPER
            part.domicile_due_at = due
            part.save(update_fields=["notified_at", "service_method", "domicile_due_at"])
            apply_assignment_rules(part, case=case)  # complaints/services/assignment.py
            if not case_parts.is_multi_company(case):
                case.domicile_due_at = due
                case.save(update_fields=["domicile_due_at", "updated_at"])
            reason += " " + _("Electronic domicile due by %(day)s.") % {
                "day": formats.date_format(timezone.localdate(due), "SHORT_DATE_FORMAT")
            }
        record_event(case=case, action=actions.PAPER_NOTICE_DELIVERED.code, by=by, reason=reason)
        if starts_clock:
            # The consumer learns the company now knows of the complaint (a notice of no legal effect).
            notify_case_parties(
                case,
                "company_served",
                key=f"paper-notice:{notice.pk}:delivered",
                company=False,
                context={"company_name": part.display_name},
            )
    return notice


def paper_notice_fail(*, part: CaseCompany, by: User, failed_on: date, reason: str) -> PaperNotice:
    """Not delivered: the clock stays stopped, and the office is asked for another address."""
    reason = " ".join(reason.split())
    if not reason:
        raise CaseError(_("Say why the notice was not delivered (as the receipt or the notifier says)."))
    with transaction.atomic():
        case, part = _lock_part(part)
        _awaiting_or_refuse(part, case)
        notice = _in_flight_or_refuse(part)
        _check_day(failed_on, after=notice.dispatched_at or notice.printed_at, what=_("failed delivery"))
        notice.status = PaperNotice.Status.FAILED
        notice.failed_at = _moment(failed_on)
        notice.failure_reason = reason[:300]
        notice.recorded_by = by
        notice.save(update_fields=["status", "failed_at", "failure_reason", "recorded_by"])
        record_event(
            case=case,
            action=actions.PAPER_NOTICE_FAILED.code,
            by=by,
            reason=_(
                "%(company)s: %(kind)s to %(address)s not delivered on %(day)s, tracking number %(tracking)s: %(why)s."
            )
            % {**_described(part, notice, failed_on), "why": notice.failure_reason},
        )
    return notice


def _described(part: CaseCompany, notice: PaperNotice, day: date) -> dict[str, str]:
    return {
        "company": part.display_name,
        "kind": str(notice.get_kind_display()),
        "address": notice.address,
        "tracking": notice.tracking_number or "—",
        "day": formats.date_format(day, "SHORT_DATE_FORMAT"),
    }


def _checked_receipt(upload: UploadedFile) -> str:
    """The receipt's type judged from its content: PDF, JPEG or PNG; returns its extension."""
    name = upload.name or ""
    if not upload.size:
        raise CaseError(_("The file “%(name)s” is empty.") % {"name": name})
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise CaseError(
            _("The file “%(name)s” is %(size)s; the limit is %(limit)s per file.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)}
        )
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    upload.seek(0)
    if content_type not in RECEIPT_TYPES:
        raise CaseError(
            _("The file “%(name)s” is not a PDF, JPEG or PNG file (whatever its name says).") % {"name": name}
        )
    return RECEIPT_TYPES[content_type]


# --- The cédula ------------------------------------------------------------------------------------


def render_cedula(case: Complaint, part: CaseCompany, notice: PaperNotice) -> bytes:
    """The printed cédula: an official record, written in the office's language."""
    from complaints.pdf import render_pdf

    with translation.override(settings.LANGUAGE_CODE):
        return render_pdf(
            "complaints/pdf/cedula.html",
            {
                "case": case,
                "part": part,
                "notice": notice,
                "days": settings.DEADLINES["COMPANY_DOMICILE"],
                "site_url": settings.SITE_URL,
                "case_url": case_url(case),
                "office_name": settings.PRIVACY_OFFICE_NAME,
                "office_address": settings.PRIVACY_OFFICE_ADDRESS,
                "office_email": settings.PRIVACY_OFFICE_EMAIL,
            },
        )


# --- The sweep (Celery beat; the system acts) ------------------------------------------------------


def referral_reason(part: CaseCompany) -> str:
    """Why a company is referred for not setting up its electronic domicile: naming the proven
    delivery its deadline ran from."""
    delivered = (
        PaperNotice.objects.filter(part_id=part.pk, status=PaperNotice.Status.DELIVERED)
        .order_by("-delivered_at")
        .first()
    )
    days = settings.DEADLINES["COMPANY_DOMICILE"]
    if delivered is None or delivered.delivered_at is None:
        return _(
            "Conciliation failed: the company did not set up its electronic domicile within %(days)s business days "
            "of being notified."
        ) % {"days": days}
    return _(
        "Conciliation failed: the company did not set up its electronic domicile within %(days)s business days "
        "of the proven delivery of the %(kind)s on %(day)s at %(address)s (tracking number %(tracking)s)."
    ) % {**_described(part, delivered, timezone.localdate(delivered.delivered_at)), "days": days}
