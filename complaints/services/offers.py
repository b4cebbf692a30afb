"""Before the hearing: the company answers in writing and makes offers; the consumer accepts,
rejects or counters. Who may do each, now, is decided in complaints/policy.py; these ask it under
the case's row lock."""

import contextlib
import hashlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints import actions, policy
from complaints.errors import CaseError
from complaints.instalments import as_json, check_schedule
from complaints.models import (
    CLOSED_PART_STATUSES,
    CaseCompany,
    CompanyAnswer,
    Complaint,
    Evidence,
    Offer,
    OfferStatus,
    PartStatus,
)
from complaints.records import record_text
from complaints.services import Move, _apply, _locked, _notify_parties, case_url, notify_case_parties, record_event
from complaints.services.parts import is_multi_company, part_move
from complaints.uploads import evidence_label, validate_evidence
from notifications.services.outbox import notify
from parties.models import Representation, User


def _acting_part(case: Complaint, by: User, part: CaseCompany | None) -> CaseCompany | None:
    """The company `by` acts for in this (locked) case: the one chosen, which must be one they
    represent, or the only one they represent. None when they represent none (the rule then says
    why). Several and none chosen: they must choose."""
    parts = policy.parts_acting_for(by, case)
    if part is not None:
        chosen = next((candidate for candidate in parts if candidate.pk == part.pk), None)
        if chosen is None:
            raise CaseError(_("You do not represent this company in this case."))
        return chosen
    if len(parts) > 1:
        raise CaseError(_("Choose the company you are acting for."))
    return parts[0] if parts else None


def company_answer(
    *,
    complaint: Complaint,
    by: User,
    text: str,
    part: CaseCompany | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> CompanyAnswer:
    """A company's written answer; any active representative may give it (no power needed). Its
    attachments join the case's evidence, judged by the same checks as the consumer's
    (complaints/uploads.py: type from the content, size, pixels, and at most EVIDENCE_MAX_FILES per
    company in the case). One refused file is a ValidationError that says why, and nothing is kept:
    not the answer, not the other files. The event records each file's name and SHA-256."""
    if not text.strip():
        raise CaseError(_("Write the company's answer."))
    stored: list[Evidence] = []
    try:
        with transaction.atomic():
            case = _locked(complaint)
            policy.ensure(policy.ANSWER_AS_COMPANY, by, case)
            acting = _acting_part(case, by, part)
            kinds: list[str] = []
            if attachments:
                assert acting is not None  # the rule refuses a person who represents no company of the case
                # The company's files so far, whoever of its representatives (past or present) sent them.
                already = case.evidence.filter(
                    uploaded_by__in=Representation.objects.filter(company__case_parts=acting).values("user_id")
                ).count()
                problems: list[str] = []
                for index, upload in enumerate(attachments):
                    try:
                        kinds.append(validate_evidence(upload, already=already + index))
                    except ValidationError as error:
                        problems.extend(error.messages)
                if problems:  # every file judged before any is stored
                    raise ValidationError(problems)
            answer = CompanyAnswer.objects.create(complaint=case, part=acting, author=by, text=text)
            if attachments:
                assert acting is not None
                description = record_text(
                    gettext_noop("Attached by %(company)s to its answer"), company=acting.display_name
                )
                for upload, kind in zip(attachments, kinds, strict=True):
                    digest = hashlib.sha256()
                    for chunk in upload.chunks():
                        digest.update(chunk)
                    upload.seek(0)
                    evidence = Evidence(
                        complaint=case,
                        original_name=evidence_label(upload.name or ""),
                        content_type=kind,
                        size=upload.size or 0,
                        sha256=digest.hexdigest(),
                        description=description[:200],
                        uploaded_by=by,
                    )
                    evidence.file.save(evidence.original_name, upload, save=False)
                    stored.append(evidence)
                    evidence.save()
            reason = f"{acting.display_name}: {text}" if acting is not None and is_multi_company(case) else text
            if stored:
                reason += "".join(f"\n{evidence.original_name} · SHA-256 {evidence.sha256}" for evidence in stored)
            event = record_event(case=case, action=actions.COMPANY_ANSWERED.code, by=by, reason=reason)
            _notify_parties(Move(case, event))
    except Exception:
        for evidence in stored:  # the rows rolled back; their files must go too
            if evidence.file.name:
                with contextlib.suppress(OSError):
                    evidence.file.storage.delete(evidence.file.name)
        raise
    return answer


def offer_make(
    *,
    complaint: Complaint,
    by: User,
    terms: str,
    fulfil_by: date | None,
    amount: Decimal | None,
    part: CaseCompany | None = None,
    instalments: Sequence[tuple[date, Decimal]] = (),
) -> Offer:
    """One company's offer (each company of the case offers on its own; one pending per company).
    Only a representative whose power binds the company may make it (policy.power_refusal).
    In instalments (complaints/instalments.py), the last one's due date is the date to fulfil it by."""
    schedule = check_schedule(instalments, amount=amount) if instalments else []
    if schedule:
        fulfil_by = schedule[-1][0]
    if fulfil_by is None:
        raise CaseError(_("Enter the date by which the company will fulfil the offer."))
    if fulfil_by <= timezone.localdate():
        raise CaseError(_("The date to fulfil the offer must be in the future."))
    with transaction.atomic():
        case = _locked(complaint)
        acting = _acting_part(case, by, part)
        policy.ensure(policy.MAKE_OFFER, by, acting if acting is not None else case)
        assert acting is not None  # the rule refuses a person who represents no company of the case
        offer = Offer.objects.create(
            complaint=case,
            part=acting,
            made_by=by,
            terms=terms,
            fulfil_by=fulfil_by,
            amount=amount,
            instalments=as_json(schedule),
        )
        event = record_event(case=case, action=actions.OFFER_MADE.code, by=by, reason=offer_event_reason(offer))
        _notify_parties(
            Move(case, event),
            offer_text=terms,
            offer_amount=amount,
            fulfil_by=fulfil_by,
            company_name=acting.display_name,
            offer_instalments=offer.instalment_rows() or None,
        )
    return offer


def offer_event_reason(offer: Offer) -> str:
    """What the case event records of an offer: its facts in a form no language owns, e.g.
    "ARS 1234.50 · 2026-03-01 · <the terms>", not a sentence in the actor's language. The case
    page shows them in the reader's language (`selectors.offer_terms_in`, the inverse)."""
    amount = f"ARS {offer.amount:.2f} · " if offer.amount is not None else ""
    return f"{amount}{offer.fulfil_by.isoformat()} · {offer.terms}"


def _locked_answerable_offer(offer: Offer, by: User) -> tuple[Complaint, Offer]:
    case = _locked(offer.complaint)
    offer = Offer.objects.select_for_update(of=("self",)).select_related("part__company").get(pk=offer.pk)
    offer.complaint = case  # the rule reads the case as locked, not as the page saw it
    if offer.part is not None:
        offer.part.complaint = case
    policy.ensure(policy.ANSWER_OFFER, by, offer)
    return case, offer


def _tell_the_offering_company(case: Complaint, offer: Offer, event_pk: int, **context: object) -> None:
    """The answer to an offer concerns the company that made it (an offer without a part is the lead
    company's): its assignee, else every active representative, and whoever made the offer. Its next
    move (a new offer) needs a validated power, so when the assignee has none the representatives who
    have one are told too (`binding`). Idempotent per recipient: a caller that already told the
    companies' side under the same key adds only those."""
    from complaints.services.assignment import company_recipients

    if offer.part is not None:
        if offer.part.company_id is None:
            return
        part_ids = [offer.part.pk]
    else:
        part_ids = list(CaseCompany.objects.filter(complaint_id=case.pk, position=1).values_list("pk", flat=True))
    # The company made the offer, so it hears of the answer even if its service is still on paper.
    recipients = company_recipients(
        case, part_ids=part_ids, served_only=False, binding=True, including=[offer.made_by_id]
    )
    for recipient in recipients:
        notify(
            recipient=recipient,
            event="offer_answered",
            context={"case_number": case.number, "case_url": case_url(case), **context},
            idempotency_key=f"case-event:{event_pk}",
            case_number=case.number or "",
        )


def offer_accept(*, offer: Offer, by: User) -> Complaint:
    """The consumer (or their representative) accepts. With one company, or once every other open
    company already agreed, the case ends in an agreement without a hearing; otherwise only this
    company's part is in agreement and the case goes on with the others."""
    with transaction.atomic():
        case, offer = _locked_answerable_offer(offer, by)
        offer.status, offer.answered_at, offer.answered_by = OfferStatus.ACCEPTED, timezone.now(), by
        offer.save(update_fields=["status", "answered_at", "answered_by"])
        part = offer.part
        others_pending = (
            part is not None
            and CaseCompany.objects.filter(complaint_id=case.pk)
            .exclude(pk=part.pk)
            .exclude(status__in=[PartStatus.AGREEMENT, *CLOSED_PART_STATUSES])
            .exists()
        )
        if part is None or not others_pending:
            move = _apply(case, actions.ACCEPT_OFFER.code, by=by, reason=offer_event_reason(offer))
            _notify_parties(move, company=True, answer="accepted")
            _tell_the_offering_company(case, offer, move.event.pk, answer="accepted")
            return move.case
        part_move(part, PartStatus.AGREEMENT, by=by, reason=offer_event_reason(offer))
        event = case.events.order_by("-created_at", "-pk").first()
        assert event is not None
        notify_case_parties(
            case, "offer_answered", key=f"case-event:{event.pk}", company=False, context={"answer": "accepted"}
        )
        _tell_the_offering_company(case, offer, event.pk, answer="accepted")
    return case


def offer_reject(*, offer: Offer, by: User, counter_terms: str = "", counter_amount: Decimal | None = None) -> Offer:
    """The consumer rejects, optionally with a counter-offer the company may take up in a new offer."""
    with transaction.atomic():
        case, offer = _locked_answerable_offer(offer, by)
        offer.status = OfferStatus.COUNTERED if counter_terms.strip() else OfferStatus.REJECTED
        offer.answered_at, offer.answered_by = timezone.now(), by
        offer.counter_terms, offer.counter_amount = counter_terms, counter_amount
        offer.save(update_fields=["status", "answered_at", "answered_by", "counter_terms", "counter_amount"])
        countered = offer.status == OfferStatus.COUNTERED
        action = actions.OFFER_COUNTERED if countered else actions.OFFER_REJECTED
        event = record_event(case=case, action=action.code, by=by, reason=counter_terms)
        answer = {
            "answer": "countered" if countered else "rejected",
            "counter_text": counter_terms,
            "counter_amount": counter_amount,
        }
        # Only the company that made the offer hears of it (in a case of several, not the others).
        _tell_the_offering_company(case, offer, event.pk, **answer)
    return offer
