"""The case (expediente): a consumer's complaint against a company, its workflow, evidence,
immutable events, the company's answers and offers."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from complaints.states import (
    CLOSED_STATES,
    CONCLUDABLE_STATES,
    PRE_OUTCOME_STATES,
    State,
    allow_conciliator_or_office,
    allow_consumer_or_company,
    allow_homologating_authority,
    allow_office,
    allow_owner_consumer,
    allow_system_or_office,
)
from parties.models import Company, Province


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")
    WHATSAPP = "whatsapp", _("WhatsApp")


class ClaimType(models.TextChoices):
    REFUND = "refund", _("Refund")
    REPAIR = "repair", _("Repair")
    REPLACEMENT = "replacement", _("Replacement")
    FULFILMENT = "fulfilment", _("Fulfilment of the offer")
    OTHER = "other", _("Other")


class RejectionReason(models.TextChoices):
    NOT_CONSUMER_RELATIONSHIP = "not_consumer", _("Not a consumer relationship")
    OUTSIDE_JURISDICTION = "jurisdiction", _("Outside the jurisdiction")
    DUPLICATE = "duplicate", _("Duplicate of another complaint")
    ALREADY_IN_COURT = "in_court", _("Already before a court")
    TIME_BARRED = "time_barred", _("Time-barred")
    OTHER = "other", _("Other")


class CaseNumberSequence(models.Model):
    """One row per year; the row lock makes numbers unique and gapless under concurrent filing."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Complaint(FSMModelMixin, models.Model):
    number = models.CharField(_("case number"), max_length=20, unique=True, null=True, blank=True)
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("consumer")
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="complaints_filed",
        null=True,
        blank=True,
        help_text=_("The officer who filed it for the citizen, for assisted filing."),
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.WEB)
    status = FSMField(_("status"), max_length=24, choices=State.choices, default=State.DRAFT, protected=True)
    draft_step = models.PositiveSmallIntegerField(default=1)

    # The consumer as they were when filing: the record must not change if the profile does.
    consumer_name = models.CharField(_("full name"), max_length=300, blank=True)
    consumer_dni = models.CharField(_("DNI"), max_length=8, blank=True, db_index=True)
    consumer_email = models.EmailField(_("e-mail"), blank=True)
    consumer_phone = models.CharField(_("phone"), max_length=20, blank=True)
    consumer_address = models.CharField(_("address"), max_length=300, blank=True)
    consumer_province = models.CharField(_("province"), max_length=4, choices=Province.choices, blank=True)

    # The company: a registered one, or (while a draft) the CUIT and name of one that is not.
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="complaints", null=True, blank=True, verbose_name=_("company")
    )
    company_cuit = models.CharField(_("company CUIT"), max_length=11, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)

    # Where the purchase or contract took place: with each company's domicile (CaseCompany), what
    # decides whether the office is competent (settings.OFFICE_TERRITORY).
    purchase_province = models.CharField(
        _("province where you bought or hired"), max_length=4, choices=Province.choices, blank=True
    )
    purchase_city = models.CharField(_("city or town where you bought or hired"), max_length=100, blank=True)
    purchase_online = models.BooleanField(_("bought online or by phone"), default=False)

    # A hipervulnerable consumer (Res. 139/2020): declared at filing or flagged by an officer. It
    # orders the admission queue and the scheduling proposals first and shortens the office's targets.
    vulnerable = models.BooleanField(_("hipervulnerable consumer"), default=False)
    vulnerable_categories = models.JSONField(_("hipervulnerability categories"), default=list, blank=True)
    vulnerable_flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the consumer declared it at filing."),
    )

    product = models.CharField(_("what you bought or hired"), max_length=200, blank=True)
    purchase_date = models.DateField(_("date of purchase or contract"), null=True, blank=True)
    amount_paid = models.DecimalField(
        _("amount paid (ARS)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    facts = models.TextField(_("what happened"), blank=True)
    claim_type = models.CharField(_("what you ask for"), max_length=12, choices=ClaimType.choices, blank=True)
    claim_amount = models.DecimalField(
        _("amount claimed (ARS)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    claim_detail = models.TextField(_("details of your request"), blank=True)
    declaration_accepted_at = models.DateTimeField(null=True, blank=True)

    # Officer's decisions.
    observation = models.TextField(_("what to correct"), blank=True)
    rejection_reason = models.CharField(
        _("rejection reason"), max_length=16, choices=RejectionReason.choices, blank=True
    )
    rejection_detail = models.TextField(_("rejection details"), blank=True)
    # Referred out of the office's competence: to whom (complaints/competence.py names the authorities).
    referred_out_to = models.CharField(_("referred to"), max_length=40, blank=True)

    # Moments and deadlines (business-day deadlines are computed when the state is entered).
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    review_due_at = models.DateTimeField(_("review due"), null=True, blank=True)
    correction_due_at = models.DateTimeField(_("correction due"), null=True, blank=True)
    admitted_at = models.DateTimeField(_("admitted at"), null=True, blank=True)
    domicile_due_at = models.DateTimeField(_("electronic domicile due"), null=True, blank=True)
    company_notified_at = models.DateTimeField(_("company notified at"), null=True, blank=True)
    justification_due_at = models.DateTimeField(_("justification due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The admission queue's allocation: the officer who reviews this complaint (None: the common queue).
    assigned_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned officer"),
    )
    # Flagged at admission as a likely duplicate of another case of the same consumer and company;
    # a case joined to another, or rejected as its duplicate, keeps the link.
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )

    # The head of the case's event chain, moved by `record_event` in the same transaction as the
    # event: how many events, the last one's hash, and a keyed seal over both and the status
    # (complaints/integrity.py), so a removed last event or an edited status shows. The database
    # defaults serve rows written outside the ORM (bench/seed.py), which seal them afterwards.
    chain_length = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    chain_head_hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    chain_seal = models.CharField(max_length=96, blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            # The admission queue: a state, oldest first. `filed_by` rides along so the office's
            # visibility rule (not others' drafts) and the pager's COUNT are answered from the index.
            models.Index(fields=["status", "submitted_at"], name="complaint_queue", include=["filed_by"]),
            # The same queue with hipervulnerable consumers first, in the page's whole order (the id
            # breaks ties): a deep page reads its keys from this index alone (parties/paginator.py).
            models.Index(
                fields=["status", "-vulnerable", "submitted_at", "id"],
                name="complaint_queue_vulnerable",
                include=["filed_by"],
            ),
            models.Index(fields=["company", "status"], name="complaint_company_status"),
            # The company API's list filtered by state, newest first (api/routers/cases.py): one state's
            # cases in id order instead of every newer case (bench/RESULTS.md, session 7).
            models.Index(fields=["status", "-id"], name="complaint_status_newest"),
            # A company's case list, newest first (a big company has tens of thousands of cases).
            models.Index(fields=["company", "-created_at", "-id"], name="complaint_company_recent"),
            models.Index(fields=["consumer", "-created_at"], name="complaint_consumer_recent"),
            # The case list, newest first, across every case. It carries what `complaints_visible_to`
            # asks of each row (state, lead company, consumer, who filed it), so a representative's
            # list, whose cases are scattered among a million, filters the index alone; and so does
            # a deep page's keys (parties/paginator.py).
            models.Index(
                fields=["-created_at", "-id"],
                name="complaint_recent",
                include=["status", "company", "consumer", "filed_by"],
            ),
            # Search by CUIT: a draft may name a company that is not registered yet.
            models.Index(fields=["company_cuit"], name="complaint_draft_cuit", condition=Q(status="draft")),
            # Beat jobs and the queue's age filter look for expired deadlines in one state.
            models.Index(fields=["review_due_at"], name="complaint_review_due", condition=Q(status="submitted")),
            # "My queue" (and each officer's load): an officer's allocated complaints awaiting review,
            # in the queue's order (hipervulnerable first, then the oldest; complaints/services/allocation.py).
            models.Index(
                fields=["assigned_officer", "-vulnerable", "submitted_at", "id"],
                name="complaint_my_queue",
                condition=Q(status="submitted"),
                include=["filed_by"],
            ),
            # The unassigned queue, "take the next one" and balancing, in the same order.
            models.Index(
                fields=["-vulnerable", "submitted_at", "id"],
                name="complaint_unassigned_queue",
                condition=Q(status="submitted", assigned_officer__isnull=True),
                include=["filed_by"],
            ),
            models.Index(fields=["correction_due_at"], name="complaint_correction_due", condition=Q(status="observed")),
            models.Index(fields=["domicile_due_at"], name="complaint_domicile_due", condition=Q(status="admitted")),
            # The hearing list's "awaiting a date" panel: served or adjourned cases, hipervulnerable first.
            models.Index(
                fields=["-vulnerable", "company_notified_at", "id"],
                name="complaint_awaiting_date",
                condition=Q(status__in=["company_notified", "adjourned"]),
            ),
            # PostgreSQL also has trigram indexes on the names, for search (migrations 0002 and 0004,
            # not declared here: they index an expression SQLite does not have).
        ]

    def __str__(self) -> str:
        return self.number or _("Draft #%(pk)s") % {"pk": self.pk}

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATES

    @property
    def company_has_domicile(self) -> bool:
        """Every company still awaiting service can be served electronically now (so the case-wide
        `serve_company` may serve them all); none left waiting also qualifies."""
        return not (
            self.parts.filter(status="named")
            .filter(Q(company__isnull=True) | Q(company__electronic_domicile=""))
            .exists()
        )

    @property
    def company_display_name(self) -> str:
        return self.company.legal_name if self.company else self.company_name

    # --- Transitions: state changes only, free of I/O; services save, log and notify. ---------------

    @transition(field=status, source=State.DRAFT, target=State.SUBMITTED, permission=allow_owner_consumer)
    def submit(self) -> None:
        pass

    @transition(field=status, source=State.OBSERVED, target=State.SUBMITTED, permission=allow_owner_consumer)
    def resubmit(self) -> None:
        pass

    @transition(field=status, source=State.SUBMITTED, target=State.OBSERVED, permission=allow_office)
    def observe(self) -> None:
        pass

    @transition(field=status, source=State.SUBMITTED, target=State.REJECTED, permission=allow_office)
    def reject(self) -> None:
        pass

    @transition(field=status, source=State.SUBMITTED, target=State.ADMITTED, permission=allow_office)
    def admit(self) -> None:
        pass

    @transition(
        field=status,
        source=State.ADMITTED,
        target=State.COMPANY_NOTIFIED,
        permission=allow_system_or_office,
        conditions=[lambda case: case.company_has_domicile],  # type: ignore[attr-defined]
    )
    def serve_company(self) -> None:
        pass

    @transition(
        field=status,
        source=[State.COMPANY_NOTIFIED, State.ADJOURNED, State.COMPANY_ABSENT],
        target=State.HEARING_SCHEDULED,
        permission=allow_conciliator_or_office,
    )
    def schedule_hearing(self) -> None:
        pass

    @transition(field=status, source=State.HEARING_SCHEDULED, target=State.COMPANY_NOTIFIED, permission=allow_office)
    def cancel_hearing(self) -> None:
        """The office called the hearing off; the case waits for a new date."""

    @transition(
        field=status, source=State.HEARING_SCHEDULED, target=State.ADJOURNED, permission=allow_conciliator_or_office
    )
    def adjourn(self) -> None:
        pass

    @transition(
        field=status,
        source=[State.ADMITTED, State.COMPANY_NOTIFIED, State.HEARING_SCHEDULED, State.ADJOURNED],
        target=State.AGREEMENT,
        permission=allow_consumer_or_company,
    )
    def accept_offer(self) -> None:
        pass

    @transition(
        field=status, source=State.HEARING_SCHEDULED, target=State.AGREEMENT, permission=allow_conciliator_or_office
    )
    def record_agreement(self) -> None:
        pass

    @transition(
        field=status, source=State.AGREEMENT, target=State.AGREEMENT_APPROVED, permission=allow_homologating_authority
    )
    def approve_agreement(self) -> None:
        pass

    @transition(
        field=status, source=State.AGREEMENT_APPROVED, target=State.COMPLIED, permission=allow_consumer_or_company
    )
    def confirm_compliance(self) -> None:
        pass

    @transition(
        field=status, source=State.AGREEMENT_APPROVED, target=State.BREACHED, permission=allow_consumer_or_company
    )
    def report_breach(self) -> None:
        pass

    @transition(
        field=status, source=State.HEARING_SCHEDULED, target=State.NO_AGREEMENT, permission=allow_conciliator_or_office
    )
    def record_no_agreement(self) -> None:
        pass

    @transition(
        field=status,
        source=State.HEARING_SCHEDULED,
        target=State.COMPANY_ABSENT,
        permission=allow_conciliator_or_office,
    )
    def record_company_absent(self) -> None:
        pass

    @transition(
        field=status,
        source=State.HEARING_SCHEDULED,
        target=State.CONSUMER_ABSENT,
        permission=allow_conciliator_or_office,
    )
    def record_consumer_absent(self) -> None:
        pass

    @transition(field=status, source=State.CONSUMER_ABSENT, target=State.COMPANY_NOTIFIED, permission=allow_office)
    def reactivate(self) -> None:
        pass

    @transition(field=status, source=PRE_OUTCOME_STATES, target=State.WITHDRAWN, permission=allow_owner_consumer)
    def withdraw(self) -> None:
        pass

    @transition(field=status, source=State.CONSUMER_ABSENT, target=State.WITHDRAWN, permission=allow_system_or_office)
    def deem_withdrawn(self) -> None:
        pass

    @transition(
        field=status,
        source=[State.ADMITTED, State.NO_AGREEMENT, State.COMPANY_ABSENT, State.BREACHED],
        target=State.REFERRED,
        permission=allow_system_or_office,
    )
    def refer(self) -> None:
        pass

    @transition(
        field=status,
        source=[State.OBSERVED, State.REJECTED, State.WITHDRAWN, State.COMPLIED],
        target=State.ARCHIVED,
        permission=allow_system_or_office,
    )
    def archive(self) -> None:
        pass

    @transition(field=status, source=State.SUBMITTED, target=State.REFERRED_OUT, permission=allow_office)
    def refer_out(self) -> None:
        """Outside the office's territory: sent to the competent authority, not just rejected."""

    @transition(field=status, source=CONCLUDABLE_STATES, target=State.CONCLUDED, permission=allow_system_or_office)
    def conclude(self) -> None:
        """Every company's part has ended, not all the same way (complaints/services/parts.py)."""


def evidence_upload_to(instance: "Evidence", filename: str) -> str:
    # The stored name is ours and unguessable (not the content's hash, which whoever holds a copy of
    # the file could compute); the person's file name is kept only as a label.
    return f"evidence/{instance.complaint_id}/{secrets.token_hex(16)}{instance.extension}"


class Evidence(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def extension(self) -> str:
        return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/heic": ".heic"}.get(
            self.content_type, ""
        )


class CaseEvent(models.Model):
    """One immutable line of the case's history. Each row's hash is an HMAC (keyed with a server
    secret, `key_id` names which) over its content and the hash before it, and the case keeps the
    chain's head, so an edited, removed or rewritten row shows (`complaints.integrity.verify_case`).
    Rows hashed before the keys existed have `key_id` "" and a plain SHA-256. On PostgreSQL a
    trigger refuses UPDATE and DELETE."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=24, choices=State.choices, blank=True)
    to_state = models.CharField(max_length=24, choices=State.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, editable=False)
    key_id = models.CharField(max_length=16, blank=True, default="", db_default="", editable=False)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["complaint", "created_at"], name="caseevent_timeline")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.action} {self.from_state}→{self.to_state}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Case events are immutable.")
        from complaints.integrity import current_key_id  # integrity reads these models

        self.key_id = current_key_id()
        self.hash = self.compute_hash()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Case events are immutable.")

    def compute_hash(self) -> str:
        from complaints.integrity import event_digest  # integrity reads these models

        return event_digest(
            key_id=self.key_id,
            previous_hash=self.previous_hash,
            complaint_id=self.complaint_id,
            action=self.action,
            from_state=self.from_state,
            to_state=self.to_state,
            actor_id=self.actor_id,
            reason=self.reason,
            created_at=self.created_at,
        )


class CompanyAnswer(models.Model):
    """The company's written answer to the complaint."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="answers")
    # Which company answered (a case may name several).
    part = models.ForeignKey(
        "complaints.CaseCompany", on_delete=models.CASCADE, null=True, blank=True, related_name="answers"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("answer"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.text[:40]}"


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the consumer's answer")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    COUNTERED = "countered", _("Counter-offer made")
    LAPSED = "lapsed", _("Lapsed")


class Offer(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="offers")
    # Which company offers (a case may name several; each offers on its own).
    part = models.ForeignKey(
        "complaints.CaseCompany", on_delete=models.CASCADE, null=True, blank=True, related_name="offers"
    )
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(
        _("amount (ARS)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    terms = models.TextField(_("what the company offers"))
    fulfil_by = models.DateField(_("to be fulfilled by"))
    status = models.CharField(max_length=12, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    counter_amount = models.DecimalField(
        _("your counter-offer (ARS)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    counter_terms = models.TextField(_("your counter-offer"), blank=True)
    # Paid in instalments: [{"due": "YYYY-MM-DD", "amount": "123.45"}, …] (complaints/instalments.py);
    # empty for an offer fulfilled at once. fulfil_by is then the last due date.
    instalments = models.JSONField(_("instalments"), default=list, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "part"], condition=Q(status="pending"), name="one_pending_offer_per_part"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.terms[:40]}"

    def instalment_rows(self) -> list[dict]:
        """The schedule for a page or a message: [{"number", "due" (a date), "amount" (a Decimal)}]."""
        from complaints.instalments import from_json

        return [
            {"number": number, "due": due, "amount": amount}
            for number, (due, amount) in enumerate(from_json(self.instalments), start=1)
        ]
