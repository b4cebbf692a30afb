"""Hearings: when and where a conciliator meets the parties, who came, what was agreed, the acta.

A case has one or more hearings (a cuarto intermedio adds one). Only the rows are here; every
change goes through a service function in hearings/services/ (row-locked, logged on the case).
"""

import re
import secrets
import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint


def _unguessable_name(prefix: str, filename: str) -> str:
    """<prefix>/<yyyy>/<mm>/<random>.<ext>: no case number, no person's name, nothing to guess or
    enumerate. The name a person downloads is given by the view, not by the storage."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    suffix = f".{extension}" if re.fullmatch(r"[a-z0-9]{1,5}", extension) else ""
    return f"{prefix}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def recording_upload_to(instance: "Recording", filename: str) -> str:
    return _unguessable_name("recordings", filename)


def acta_upload_to(instance: "Acta", filename: str) -> str:
    return _unguessable_name("actas", filename)


def compliance_proof_upload_to(instance: "ComplianceProof", filename: str) -> str:
    return _unguessable_name("compliance", filename)


def justification_upload_to(instance: "AbsenceJustification", filename: str) -> str:
    return _unguessable_name("justifications", filename)


def new_room_name() -> str:
    """Unguessable and lower-case (Jitsi compares room names lower-cased)."""
    return f"concilia-{secrets.token_hex(16)}"


class Hearing(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        ADJOURNED = "adjourned", _("Adjourned (cuarto intermedio)")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        AGREEMENT = "agreement", _("Agreement")
        NO_AGREEMENT = "no_agreement", _("No agreement")
        COMPANY_ABSENT = "company_absent", _("Company absent")
        CONSUMER_ABSENT = "consumer_absent", _("Consumer absent")
        ADJOURNED = "adjourned", _("Adjourned (cuarto intermedio)")

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="hearings", verbose_name=_("case"))
    conciliator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="hearings_conducted",
        verbose_name=_("conciliator"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    room = models.CharField(_("video room"), max_length=64, unique=True, default=new_room_name, editable=False)
    # The calendar invitation: one UID for the life of the hearing, SEQUENCE bumped on every change.
    ical_uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ical_sequence = models.PositiveIntegerField(default=0)
    reschedule_count = models.PositiveSmallIntegerField(_("times rescheduled"), default=0)
    # A cuarto intermedio: the hearing this one continues.
    continues = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="continuations",
        verbose_name=_("continues"),
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_notes = models.TextField(_("what happened"), blank=True)
    outcome_recorded_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # Reminders already sent (the beat job also keys the outbox, so a re-run sends nothing twice).
    reminded_48h_at = models.DateTimeField(null=True, blank=True)
    reminded_1h_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["conciliator", "starts_at"], name="hearing_conciliator_time"),
            models.Index(fields=["starts_at"], name="hearing_upcoming", condition=Q(status="scheduled")),
            models.Index(fields=["complaint", "starts_at"], name="hearing_complaint_time"),
            # Every hearing in time order, whatever its status: the office's list (upcoming ascending,
            # past descending, a page of 25 read off the index) and the calendar's week.
            models.Index(fields=["starts_at", "id"], name="hearing_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="hearing_ends_after_start"),
        ]
        # No conciliator double-booked: an exclusion constraint over tstzrange(starts_at, ends_at),
        # created on PostgreSQL by migration 0002 (SQLite checks in code: hearings/scheduling.py).

    def __str__(self) -> str:
        return f"{self.complaint} — {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.SCHEDULED


class Attendance(models.Model):
    """One join or leave of one person in one hearing room, from the browser, Jitsi, or by hand."""

    class Kind(models.TextChoices):
        JOINED = "joined", _("Joined")
        LEFT = "left", _("Left")

    class Source(models.TextChoices):
        CLIENT = "client", _("Browser")
        SERVER = "server", _("Video server")
        MANUAL = "manual", _("Recorded by the conciliator")

    class Party(models.TextChoices):
        CONSUMER = "consumer", _("Consumer")
        COMPANY = "company", _("Company")
        CONCILIATOR = "conciliator", _("Conciliator")
        OTHER = "other", _("Other")

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    party = models.CharField(_("party"), max_length=12, choices=Party.choices)
    # For a company's side: which of the case's companies the person appeared for.
    part = models.ForeignKey(
        "complaints.CaseCompany", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    display_name = models.CharField(_("name"), max_length=300, blank=True)
    kind = models.CharField(_("event"), max_length=8, choices=Kind.choices)
    at = models.DateTimeField(_("time"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    # Makes a repeated delivery of the same event a no-op (Jitsi retries; browsers double-send).
    dedupe_key = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["hearing", "dedupe_key"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name or self.user_id} {self.kind} {self.at:%H:%M}"


class RecordingConsent(models.Model):
    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="recording_consents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    consented = models.BooleanField(_("agrees to be recorded"))
    at = models.DateTimeField(_("answered at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hearing", "user"], name="one_consent_per_person")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.consented}"


class Recording(models.Model):
    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="recordings")
    url = models.URLField(_("link"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to=recording_upload_to, blank=True)
    registered_at = models.DateTimeField(_("registered at"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Jibri/the recorder's own id for it: registering twice is a no-op.
    external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["registered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["hearing", "external_id"], condition=~Q(external_id=""), name="recording_once"
            )
        ]

    def __str__(self) -> str:
        return self.url or str(self.file.name)


class Acta(models.Model):
    """The record of a hearing's outcome: a PDF whose SHA-256 is kept, confirmed by each party."""

    hearing = models.OneToOneField(Hearing, on_delete=models.PROTECT, related_name="acta")
    file = models.FileField(_("file"), upload_to=acta_upload_to, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("acta")
        verbose_name_plural = _("actas")

    def __str__(self) -> str:
        return f"Acta {self.hearing}"

    @property
    def is_ready(self) -> bool:
        return bool(self.sha256)


class ActaConfirmation(models.Model):
    acta = models.ForeignKey(Acta, on_delete=models.CASCADE, related_name="confirmations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    party = models.CharField(_("party"), max_length=12, choices=Attendance.Party.choices)
    # For a company's side: which company the confirmation binds.
    part = models.ForeignKey(
        "complaints.CaseCompany", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Under which power the person confirmed: "" for the consumer in person, else a short
    # description (a company's validated poder, the consumer's apoderado).
    acting_as = models.CharField(_("acting as"), max_length=200, blank=True)
    # The hash the person saw: a confirmation binds to that exact document.
    sha256 = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(_("confirmed at"))

    class Meta:
        ordering = ["confirmed_at"]
        constraints = [
            # One confirmation per person, and per company they bind (who binds two companies
            # confirms for each).
            models.UniqueConstraint(
                fields=["acta", "user"], condition=models.Q(part__isnull=True), name="one_own_confirmation_per_person"
            ),
            models.UniqueConstraint(
                fields=["acta", "user", "part"],
                condition=models.Q(part__isnull=False),
                name="one_confirmation_per_person_and_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.confirmed_at:%Y-%m-%d %H:%M}"


class Agreement(models.Model):
    """What the company promised, reached at a hearing or by accepting an offer; followed until honoured."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="agreements")
    # The company that promised (a case of several companies may have an agreement with each).
    part = models.OneToOneField(
        "complaints.CaseCompany", on_delete=models.PROTECT, null=True, blank=True, related_name="agreement"
    )
    hearing = models.ForeignKey(Hearing, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    terms = models.TextField(_("terms"))
    amount = models.DecimalField(
        _("amount (ARS)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    obligations = models.TextField(_("who does what, by when"), blank=True)
    compliance_due = models.DateField(_("compliance deadline"))
    compliance_asked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        indexes = [models.Index(fields=["compliance_due"], name="agreement_due", condition=Q(compliance_asked_at=None))]

    def __str__(self) -> str:
        return f"{self.complaint} — {self.compliance_due}"


class ComplianceProof(models.Model):
    """The company's evidence that it paid or delivered (e.g. a transfer receipt)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="proofs")
    file = models.FileField(_("file"), upload_to=compliance_proof_upload_to)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    note = models.CharField(_("note"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class AbsenceJustification(models.Model):
    """The absent party explains why; the office accepts (a new hearing) or rejects (the consequence)."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    hearing = models.ForeignKey(Hearing, on_delete=models.PROTECT, related_name="justifications")
    party = models.CharField(_("party"), max_length=12, choices=Attendance.Party.choices)
    # For a company's absence: which company justifies.
    part = models.ForeignKey(
        "complaints.CaseCompany", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("reason"))
    file = models.FileField(_("supporting document"), upload_to=justification_upload_to, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["hearing", "party"],
                condition=Q(decision="pending", part__isnull=True),
                name="one_pending_justification",
            ),
            models.UniqueConstraint(
                fields=["hearing", "part"],
                condition=Q(decision="pending", part__isnull=False),
                name="one_pending_justification_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hearing} — {self.party} ({self.decision})"


class PartOutcome(models.Model):
    """How the hearing ended for one of the case's companies: a case of several companies may end
    with an agreement with one, no agreement with another and a third absent."""

    hearing = models.ForeignKey(Hearing, on_delete=models.PROTECT, related_name="part_outcomes")
    part = models.ForeignKey("complaints.CaseCompany", on_delete=models.PROTECT, related_name="hearing_outcomes")
    outcome = models.CharField(_("outcome"), max_length=16, choices=Hearing.Outcome.choices)
    notes = models.TextField(_("what happened"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("outcome for a company")
        verbose_name_plural = _("outcomes for each company")
        ordering = ["hearing_id", "part__position"]
        constraints = [models.UniqueConstraint(fields=["hearing", "part"], name="one_outcome_per_company")]

    def __str__(self) -> str:
        return f"{self.hearing_id} {self.part_id}: {self.outcome}"


class HearingGuest(models.Model):
    """Someone the office invites to a hearing who is not a party: a companion, an interpreter, a
    sign-language interpreter. Joins by a personal link; the room token never makes them moderator."""

    class Kind(models.TextChoices):
        COMPANION = "companion", _("Companion")
        INTERPRETER = "interpreter", _("Interpreter")
        SIGN_LANGUAGE = "sign_language", _("Sign-language interpreter")

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="guests")
    kind = models.CharField(_("role"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Stored hashed: the link is shown (and sent) once; a leaked database does not open the room.
    key_sha256 = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(_("invited at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hearing guest")
        verbose_name_plural = _("hearing guests")
        ordering = ["invited_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}) → {self.hearing_id}"


# --- Homologation (disposición) and instalments -------------------------------------------------------


def disposition_upload_to(instance: "Disposition", filename: str) -> str:
    return _unguessable_name("dispositions", filename)


def instalment_proof_upload_to(instance: "Instalment", filename: str) -> str:
    return _unguessable_name("compliance", filename)


class DispositionSequence(models.Model):
    """One row per year; the row lock makes disposición numbers unique and gapless (like the case
    number's CaseNumberSequence): the number is taken in the homologation's transaction, so a
    homologation that rolls back gives its number back."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Disposition(models.Model):
    """The act by which the director (or a delegate) homologates a case's agreements: a PDF whose
    SHA-256 is kept with a keyed seal of it (complaints.integrity.document_seal) and written into the
    case's event chain. One per case: every agreement of the case is homologated at once."""

    class SignedAs(models.TextChoices):
        DIRECTOR = "director", _("Director")
        DELEGATE = "delegate", _("Delegate of the director")

    complaint = models.OneToOneField(
        Complaint, on_delete=models.PROTECT, related_name="disposition", verbose_name=_("case")
    )
    year = models.PositiveIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    agreements = models.ManyToManyField(Agreement, related_name="dispositions", verbose_name=_("agreements"))
    file = models.FileField(_("file"), upload_to=disposition_upload_to)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    seal = models.CharField(_("seal"), max_length=200)
    # A PDF cannot print its own hash: its footer prints the SHA-256 of what it says (number, case,
    # parties, terms, signer, time; disposition.content_digest) and that digest's seal.
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64)
    content_seal = models.CharField(_("content seal"), max_length=200)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    signed_as = models.CharField(_("signed as"), max_length=10, choices=SignedAs.choices)
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("disposición")
        verbose_name_plural = _("disposiciones")
        ordering = ["-year", "-number"]
        constraints = [models.UniqueConstraint(fields=["year", "number"], name="disposition_number_once_a_year")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """DI-<year>-<6 digits>, as the case number reads."""
        return f"DI-{self.year}-{self.number:06d}"


class Instalment(models.Model):
    """One payment of an agreement paid in instalments: its own amount, due date, proof and
    follow-up (the consumer is asked once it falls due; a missed one is a breach)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("number"))
    amount = models.DecimalField(_("amount (ARS)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    due_date = models.DateField(_("due date"))
    proof = models.FileField(_("proof of payment"), upload_to=instalment_proof_upload_to, blank=True)
    proof_original_name = models.CharField(max_length=255, blank=True)
    proof_content_type = models.CharField(max_length=100, blank=True)
    proof_uploaded_at = models.DateTimeField(null=True, blank=True)
    proof_uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    asked_at = models.DateTimeField(null=True, blank=True)
    paid_confirmed_at = models.DateTimeField(_("payment confirmed at"), null=True, blank=True)
    paid_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reported_missed_at = models.DateTimeField(_("reported missed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["agreement_id", "number"]
        constraints = [models.UniqueConstraint(fields=["agreement", "number"], name="instalment_number_once")]
        indexes = [models.Index(fields=["due_date"], name="instalment_to_ask", condition=Q(asked_at=None))]

    def __str__(self) -> str:
        return f"{self.agreement_id} #{self.number} {self.due_date}"

    @property
    def is_settled(self) -> bool:
        return self.paid_confirmed_at is not None


class DelegationChange(models.Model):
    """The audit of the director's delegation to homologate (User.may_homologate): who granted or
    withdrew it to whom, and when. Rows are only added."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted = models.BooleanField(_("granted"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("delegation to homologate")
        verbose_name_plural = _("delegations to homologate")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} {'+' if self.granted else '-'} {self.at:%Y-%m-%d}"
