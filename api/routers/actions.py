"""The company's moves through the API (POST): answer a case in writing (with attachments), make an
offer, answer the consumer's counter-offer, confirm an acta, upload proof of compliance.

Each one is the page's move, through the page's service (complaints/services/offers.py,
hearings/services/acta.py, hearings/services/follow_up.py): the same rules under the same row lock,
the same case event, the same notices. Like the page's views, each operation first asks the move's
rule (complaints/policy.py, hearings/policy.py): a refusal about who the person is answers 403
`forbidden`, one about the moment 409 `case_rule`, with the rule's message. The input is judged by
the page's own forms (the same limits and messages); a refused file is 400 `file_rejected` with the
upload check's message, and nothing is kept. A key acts for its company's part of the case; another
company's case or offer is a 404. Every operation takes an `Idempotency-Key` (api/idempotency.py)."""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from complaints import policy as case_policy
from complaints.forms.case_file import CompanyAnswerForm, OfferForm
from complaints.models import CaseCompany, Complaint, Evidence, Offer, OfferStatus
from complaints.services import lock_case
from complaints.services import offers as offer_services
from hearings import policy as hearing_policy
from hearings.errors import HearingError
from hearings.forms.outcome import ComplianceProofForm
from hearings.models import ActaConfirmation, Attendance, ComplianceProof
from hearings.services.acta import acta_confirm
from hearings.services.follow_up import compliance_proof_upload
from hearings.services.shared import checked_upload
from parties.policy import Policy

from ..auth import KeyContext, require_scope
from ..errors import CASE_RULE, FILE_REJECTED, FORBIDDEN, VALIDATION_ERROR, ApiError, error_responses
from ..idempotency import idempotent
from ..models import Scope
from ..schemas import AnswerItem, Coded, EvidenceItem, Moment, OfferItem
from ..selectors import case_for_key, cases_for_key, hearing_for_key, part_for_key

router = Router(tags=["Actions"])

# What a POST may answer besides the common errors: a rule of the case (409), a body too large (413),
# a reused key (422).
POST_ERRORS = error_responses(409, 413, 422)


# --- Schemas ---------------------------------------------------------------------------------------


class AnswerOut(AnswerItem):
    case_id: int
    attachments: list[EvidenceItem] = Field(..., description="The files sent with it, now among the case's evidence")


class InstalmentIn(Schema):
    due: date
    amount: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2)


class OfferIn(Schema):
    terms: str = Field(..., min_length=1, max_length=5000, description="What the company will do, how and where")
    amount: Decimal | None = Field(
        None, ge=0, max_digits=14, decimal_places=2, description="ARS; null when the offer is not a payment"
    )
    fulfil_by: date | None = Field(
        None, description="The date by which the company fulfils it; with instalments, the last one's due date"
    )
    instalments: list[InstalmentIn] | None = Field(
        None, description="A payment in instalments (at least two), adding up to the amount"
    )


class CounterAnswerIn(Schema):
    accept: bool = Field(
        ..., description="true: a new offer on the consumer's counter-offer (its terms and amount); false: your own"
    )
    terms: str | None = Field(None, max_length=5000, description="Only when accept is false: your new offer's terms")
    amount: Decimal | None = Field(
        None, ge=0, max_digits=14, decimal_places=2, description="Only when accept is false: your new offer's amount"
    )
    fulfil_by: date | None = None
    instalments: list[InstalmentIn] | None = None


class OfferOut(OfferItem):
    case_id: int
    answers_offer_id: int | None = Field(..., description="The countered offer this one answers, if any")


class ActaConfirmIn(Schema):
    sha256: str = Field(
        ...,
        pattern=r"^[0-9a-f]{64}$",
        description="The SHA-256 of the acta you read (`GET /hearings/{hearing_id}/acta` gives it, and its PDF): "
        "a confirmation binds to that document",
    )


class ActaConfirmationOut(Schema):
    id: int
    hearing_id: int
    party: Coded = Field(..., description="Whose confirmation: `company`")
    part_id: int | None = Field(..., description="The company's part the confirmation binds")
    acting_as: str = Field(..., description="Under which power, as the record says it")
    sha256: str = Field(..., description="The SHA-256 of the acta confirmed")
    confirmed_at: Moment


class ComplianceProofOut(Schema):
    id: int
    case_id: int
    agreement_id: int
    name: str
    content_type: str
    size: int
    note: str
    uploaded_at: Moment


# --- What every move does first --------------------------------------------------------------------


def _ask(rules: Policy, action: str, context: KeyContext, obj: object) -> None:
    """The move's rule, as the page's view asks it: 403 for who, 409 for when."""
    refusal = rules.why_not(action, context.user, obj)
    if refusal is None:
        return
    if refusal.forbidden:
        raise ApiError(403, FORBIDDEN, refusal.message)
    raise ApiError(409, CASE_RULE, refusal.message)


def _valid(form: forms.Form, names: dict[str, str] | None = None) -> dict[str, Any]:
    """The page's form, judged: its cleaned data, or 400 with each field's messages, named as the API
    names a field of the request (`body.payload.amount`, `form.text`), like its own validation errors."""
    if form.is_valid():
        return form.cleaned_data
    names = names or {}
    problems = [
        {"field": names.get(field, f"body.payload.{field}"), "message": " ".join(str(message) for message in messages)}
        for field, messages in form.errors.items()
    ]
    raise ApiError(400, VALIDATION_ERROR, " ".join(problem["message"] for problem in problems), errors=problems)


def _file_rejected(messages: list[str], field: str) -> ApiError:
    return ApiError(
        400,
        FILE_REJECTED,
        " ".join(messages),
        errors=[{"field": field, "message": message} for message in messages],
    )


def _schedule_text(instalments: list[InstalmentIn] | None) -> str:
    """The instalments as the page's form takes them ("YYYY-MM-DD amount" per line)."""
    return "\n".join(f"{row.due.isoformat()} {row.amount:.2f}" for row in instalments or [])


def _offer_form(
    *, terms: str, amount: Decimal | None, fulfil_by: date | None, instalments: list[InstalmentIn] | None
) -> OfferForm:
    return OfferForm(
        data={
            "terms": terms,
            # Already parsed: the form's fields take a Decimal and a date as they are.
            "amount": amount,
            "fulfil_by": fulfil_by,
            "instalments": _schedule_text(instalments),
        }
    )


def _coded(choices: type[models.TextChoices], code: str) -> Coded:
    return Coded(code=code, label=str(choices(code).label))


def _offer_out(offer: Offer, *, answers: Offer | None = None) -> OfferOut:
    """The offer as the case's record shows it (api/schemas.py OfferItem), and which one it answers."""
    return OfferOut(
        id=offer.pk,
        case_id=offer.complaint_id,
        part_id=offer.part_id,
        status=_coded(OfferStatus, offer.status),
        amount=offer.amount,
        terms=offer.terms,
        fulfil_by=offer.fulfil_by,
        instalments=[
            {"due": row["due"].isoformat(), "amount": f"{row['amount']:.2f}"} for row in offer.instalment_rows()
        ],
        created_at=offer.created_at,
        answered_at=offer.answered_at,
        counter_amount=offer.counter_amount,
        counter_terms=offer.counter_terms,
        answers_offer_id=answers.pk if answers is not None else None,
    )


def _evidence_out(request: HttpRequest, item: Evidence) -> EvidenceItem:
    return EvidenceItem(
        id=item.pk,
        name=item.original_name,
        description=item.description,
        content_type=item.content_type,
        size=item.size,
        sha256=item.sha256,
        uploaded_at=item.uploaded_at,
        download_url=request.build_absolute_uri(reverse("company_api:evidence_download", args=[item.pk])),
    )


def _make_offer(context: KeyContext, case: Complaint, part: CaseCompany, form: OfferForm) -> Offer:
    data = _valid(form)
    return offer_services.offer_make(
        complaint=case,
        by=context.user,
        part=part,
        terms=data["terms"],
        amount=data["amount"],
        fulfil_by=data["fulfil_by"],
        instalments=data["instalments"] or (),
    )


# --- The case ------------------------------------------------------------------------------------


@router.post(
    "/cases/{int:case_id}/answer",
    response={201: AnswerOut, **POST_ERRORS},
    summary="Answer the complaint in writing, with attachments",
    description=(
        "Multipart: `text` and 0 to N `attachments` (PDF, JPEG, PNG or HEIC, judged by their content, within "
        "the evidence limits). The consumer is told, as when the company answers on the case page. "
        "Scope `answer`. A refused file: 400 `file_rejected`, and nothing is kept."
    ),
    operation_id="case_answer",
)
@idempotent
def case_answer(
    request: HttpRequest,
    case_id: int,
    text: Form[str],
    attachments: File[list[UploadedFile] | None] = None,
) -> Status:
    context = require_scope(request, Scope.ANSWER)
    case = case_for_key(context, case_id)
    part = part_for_key(context, case)
    _ask(case_policy.POLICY, case_policy.ANSWER_AS_COMPANY, context, case)
    data = _valid(CompanyAnswerForm(data={"text": text}), {"text": "form.text"})
    with transaction.atomic():  # the case stays locked until its new files are read back
        try:
            answer = offer_services.company_answer(
                complaint=case, by=context.user, text=data["text"], part=part, attachments=attachments or []
            )
        except ValidationError as error:
            raise _file_rejected(error.messages, "form.attachments") from None
        # The files this answer added: the author's, on this case, since the answer (the case's lock,
        # held by this transaction, keeps any other move out).
        files = list(
            Evidence.objects.filter(
                complaint_id=case.pk, uploaded_by=context.user, uploaded_at__gte=answer.created_at
            ).order_by("pk")
        )
    return Status(
        201,
        AnswerOut(
            id=answer.pk,
            case_id=case.pk,
            part_id=answer.part_id,
            text=answer.text,
            author=context.user.get_full_name() or str(context.user.get_role_display()),
            created_at=answer.created_at,
            attachments=[_evidence_out(request, item) for item in files],
        ),
    )


@router.post(
    "/cases/{int:case_id}/offers",
    response={201: OfferOut, **POST_ERRORS},
    summary="Make an offer to the consumer",
    description=(
        "The company's offer, one pending at a time per company. Only a key whose person's power to bind the "
        "company was validated by the office may make one (otherwise 409 `case_rule`, saying how to fix it). "
        "Scope `offer`."
    ),
    operation_id="offer_make",
)
@idempotent
def offer_make(request: HttpRequest, case_id: int, payload: OfferIn) -> Status:
    context = require_scope(request, Scope.OFFER)
    case = case_for_key(context, case_id)
    part = part_for_key(context, case)
    _ask(case_policy.POLICY, case_policy.MAKE_OFFER, context, part)
    form = _offer_form(
        terms=payload.terms, amount=payload.amount, fulfil_by=payload.fulfil_by, instalments=payload.instalments
    )
    return Status(201, _offer_out(_make_offer(context, case, part, form)))


# --- The consumer's counter-offer ----------------------------------------------------------------


def _countered_offer_for(context: KeyContext, offer_id: int) -> tuple[Offer, Complaint, CaseCompany]:
    """The offer, if it is the key's company's in one of its cases; a 404 otherwise."""
    offer = Offer.objects.filter(pk=offer_id, complaint__in=cases_for_key(context)).first()
    if offer is None:
        raise Http404
    case = case_for_key(context, offer.complaint_id)
    part = part_for_key(context, case)
    if not case_policy.offer_is_of(offer, part):
        raise Http404  # another company's offer in a case they share
    return offer, case, part


@router.post(
    "/offers/{int:offer_id}/counter-answer",
    response={201: OfferOut, **POST_ERRORS},
    summary="Answer the consumer's counter-offer",
    description=(
        'The company answers a counter-offer with a new offer: `{"accept": true, "fulfil_by": …}` offers what '
        'the consumer proposed (their terms and amount); `{"accept": false, "terms": …, "amount": …, '
        '"fulfil_by": …}` offers something else. Either way it is an offer like any other (the same rules). '
        "An offer that was not countered, or whose counter-offer was already answered: 409. Scope `offer`."
    ),
    operation_id="offer_counter_answer",
)
@idempotent
def offer_counter_answer(request: HttpRequest, offer_id: int, payload: CounterAnswerIn) -> Status:
    context = require_scope(request, Scope.OFFER)
    countered, case, part = _countered_offer_for(context, offer_id)
    with transaction.atomic():
        # Under the case's lock (the service takes it again, in this transaction): the counter-offer
        # is answered once, by the company's next offer.
        lock_case(case.pk)
        countered = Offer.objects.get(pk=countered.pk)
        if countered.status != OfferStatus.COUNTERED:
            raise ApiError(409, CASE_RULE, gettext("This offer has no counter-offer to answer."))
        later = Offer.objects.filter(complaint_id=case.pk, pk__gt=countered.pk)
        if any(case_policy.offer_is_of(offer, part) for offer in later):
            raise ApiError(
                409, CASE_RULE, gettext("The company already answered this counter-offer with a newer offer.")
            )
        _ask(case_policy.POLICY, case_policy.MAKE_OFFER, context, part)
        if payload.accept:
            if payload.terms is not None or payload.amount is not None:
                raise ApiError(
                    400,
                    VALIDATION_ERROR,
                    gettext(
                        "To accept the counter-offer, send only the date to fulfil it: its terms are the consumer's."
                    ),
                )
            terms, amount = countered.counter_terms, countered.counter_amount
        else:
            terms, amount = payload.terms or "", payload.amount
        form = _offer_form(terms=terms, amount=amount, fulfil_by=payload.fulfil_by, instalments=payload.instalments)
        offer = _make_offer(context, case, part, form)
    return Status(201, _offer_out(offer, answers=countered))


# --- After the hearing ---------------------------------------------------------------------------


@router.post(
    "/hearings/{int:hearing_id}/acta/confirm",
    response={201: ActaConfirmationOut, **POST_ERRORS},
    summary="Confirm the hearing's acta",
    description=(
        "Confirms, in the company's name, the acta whose SHA-256 you send (the document you read): for the key's "
        "company only, even when its person also binds another company of the case. Only a person whose power "
        "to bind the company was validated may (otherwise 409 `case_rule`); an acta changed since: 409. "
        "Scope `answer`."
    ),
    operation_id="acta_confirm",
)
@idempotent
def hearing_acta_confirm(request: HttpRequest, hearing_id: int, payload: ActaConfirmIn) -> Status:
    context = require_scope(request, Scope.ANSWER)
    hearing = hearing_for_key(context, hearing_id)
    # The key's company's part: its person may bind other companies of the case too, not through this key.
    part = part_for_key(context, hearing.complaint)
    _ask(hearing_policy.POLICY, hearing_policy.CONFIRM_ACTA, context, hearing)
    confirmation: ActaConfirmation = acta_confirm(hearing=hearing, by=context.user, sha256=payload.sha256, part=part)
    return Status(
        201,
        ActaConfirmationOut(
            id=confirmation.pk,
            hearing_id=hearing.pk,
            party=_coded(Attendance.Party, confirmation.party),
            part_id=confirmation.part_id,
            acting_as=confirmation.acting_as,
            sha256=confirmation.sha256,
            confirmed_at=confirmation.confirmed_at,
        ),
    )


@router.post(
    "/cases/{int:case_id}/compliance-proof",
    response={201: ComplianceProofOut, **POST_ERRORS},
    summary="Upload proof that the company complied with the agreement",
    description=(
        "Multipart: `file` (PDF, JPEG or PNG, judged by its content) and an optional `note` (e.g. the transfer's "
        "number), on your company's own agreement in the case. While an agreement is being followed; a "
        "company without an agreement in the case: 409. Scope `answer`."
    ),
    operation_id="compliance_proof_upload",
)
@idempotent
def case_compliance_proof(request: HttpRequest, case_id: int, file: File[UploadedFile], note: Form[str] = "") -> Status:
    context = require_scope(request, Scope.ANSWER)
    case = case_for_key(context, case_id)
    part = part_for_key(context, case)  # the key's company's agreement, never another company's of the case
    _ask(hearing_policy.POLICY, hearing_policy.UPLOAD_COMPLIANCE_PROOF, context, part)
    form = ComplianceProofForm(data={"note": note}, files={"file": file})
    if not form.is_valid() and "file" in form.errors:  # sent, and refused (e.g. empty)
        raise _file_rejected([str(message) for message in form.errors["file"]], "form.file")
    data = _valid(form, {"note": "form.note"})
    try:
        checked_upload(data["file"])  # the service's own check, asked first to tell a bad file from a rule
    except HearingError as error:
        raise _file_rejected([str(error)], "form.file") from None
    proof: ComplianceProof = compliance_proof_upload(
        complaint=case, by=context.user, upload=data["file"], note=data["note"], part=part
    )
    return Status(
        201,
        ComplianceProofOut(
            id=proof.pk,
            case_id=case.pk,
            agreement_id=proof.agreement_id,
            name=proof.original_name,
            content_type=proof.content_type,
            size=proof.size,
            note=proof.note,
            uploaded_at=proof.uploaded_at,
        ),
    )
