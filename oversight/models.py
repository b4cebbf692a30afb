"""A clock on every wait: one row per open wait of a case on someone (the office, a conciliator, a
party), with its deadline in business days, when its reminder goes, and whether it was escalated.
Rows are derived from the case's record (oversight/rules.py) and kept in step on every case event
(oversight/receivers.py); closed rows stay as the history of how long each wait took."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint

OPEN = Q(closed_at__isnull=True)


class Kind(models.TextChoices):
    ADMISSION_REVIEW = "admission_review", _("Admission review")
    ACTA_CONFIRMATION = "acta_confirmation", _("Acta confirmation")
    HOMOLOGATION = "homologation", _("Homologation pending")
    COMPLIANCE_ANSWER = "compliance_answer", _("Compliance answer")
    OUTCOME_RECORD = "outcome_record", _("Hearing outcome not recorded")
    REHEARING = "rehearing", _("New hearing after an excused absence")
    RECORDING = "recording", _("Recording made available")
    COMPANY_ANSWER = "company_answer", _("Company's answer and offer")
    JUSTIFICATION_DECISION = "justification_decision", _("Decision on an absence justification")
    FIRST_HEARING = "first_hearing", _("First hearing to schedule")
    OFFER_ANSWER = "offer_answer", _("Consumer's answer to an offer")
    ADJOURNED_NEW_DATE = "adjourned_new_date", _("Adjourned hearing without a new date")
    # The legal directorate (legal/): a referral to decide, a resolution to give, an appeal to follow.
    LEGAL_DECISION = "legal_decision", _("Referral awaiting the legal directorate's decision")
    LEGAL_RESOLUTION = "legal_resolution", _("Sanction proceedings awaiting resolution")
    APPEAL_RESULT = "appeal_result", _("Appeal awaiting its result")


class WhoActs(models.TextChoices):
    OFFICE = "office", _("The office")
    CONCILIATOR = "conciliator", _("The conciliator")
    CONSUMER = "consumer", _("The consumer")
    COMPANY = "company", _("The company")
    PARTIES = "parties", _("The parties")
    DIRECTOR = "director", _("The director")
    LEGAL = "legal", _("The legal directorate")


class Ending(models.TextChoices):
    ACTED = "acted", _("Whoever had to act did")
    CONSEQUENCE = "consequence", _("The deadline's consequence applied")


class Clock(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="clocks", verbose_name=_("case"))
    kind = models.CharField(_("wait"), max_length=24, choices=Kind.choices)
    # What the wait is about: the hearing, acta, agreement or company's part; 0 for the case itself.
    subject_id = models.BigIntegerField(default=0)
    who_acts = models.CharField(_("who acts"), max_length=12, choices=WhoActs.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    started_at = models.DateTimeField(_("started at"))
    business_days = models.PositiveSmallIntegerField(_("business days"))
    due_at = models.DateTimeField(_("due"))
    # The next reminder's moment (None: none left); `reminders_sent` counts those already sent.
    remind_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    ending = models.CharField(max_length=12, choices=Ending.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deadline clock")
        verbose_name_plural = _("deadline clocks")
        constraints = [
            models.UniqueConstraint(fields=["kind", "complaint", "subject_id"], condition=OPEN, name="clock_one_open"),
        ]
        indexes = [
            # The at-risk / overdue list, every rule, by due date.
            models.Index(fields=["due_at", "id"], name="clock_open_due", condition=OPEN),
            # The list filtered by rule, and the digest's counts per rule.
            models.Index(fields=["kind", "due_at", "id"], name="clock_open_kind_due", condition=OPEN),
            # The list filtered by assignee ("mine").
            models.Index(fields=["assignee", "due_at", "id"], name="clock_open_assignee_due", condition=OPEN),
            # Each rule's beat job: reminders due, escalations due. Rows leave these indexes once done.
            models.Index(
                fields=["kind", "remind_at"],
                name="clock_to_remind",
                condition=OPEN & Q(remind_at__isnull=False),
            ),
            models.Index(
                fields=["kind", "due_at"],
                name="clock_to_escalate",
                condition=OPEN & Q(escalated_at__isnull=True),
            ),
            # sync_case_clocks reads a case's open clocks.
            models.Index(fields=["complaint"], name="clock_open_case", condition=OPEN),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}#{self.subject_id} → {self.due_at:%Y-%m-%d}"


class DeadlineChange(models.Model):
    """A deadline moved because the office's calendar changed (a día inhábil declared or removed)."""

    day = models.DateField(_("calendar day changed"))
    clock = models.ForeignKey(Clock, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    what = models.CharField(_("deadline"), max_length=60)
    old_due = models.DateTimeField(_("was due"))
    new_due = models.DateTimeField(_("now due"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("deadline change")
        verbose_name_plural = _("deadline changes")
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["day", "-created_at"], name="deadlinechange_day")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.what}: {self.old_due:%Y-%m-%d} → {self.new_due:%Y-%m-%d}"
