"""A company's sanction proceeding before the legal directorate, opened when its part of a case is
referred (legal/receivers.py). One per referred part: a case of several companies refers each on
its own. Its status moves only through legal/services/."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from complaints.models import CaseCompany, Complaint
from notifications.models import FormalNotice


class ProceedingStatus(models.TextChoices):
    RECEIVED = "received", _("Received, awaiting a decision")
    CHARGED = "charged", _("Charged (imputación), awaiting the defence")
    ARCHIVED = "archived", _("Archived")
    DEFENCE_FILED = "defence_filed", _("Defence filed, awaiting resolution")
    AWAITING_RESOLUTION = "awaiting_resolution", _("No defence filed, awaiting resolution")
    SANCTIONED = "sanctioned", _("Sanctioned (fine), appeal window open")
    DISMISSED = "dismissed", _("Dismissed")
    APPEALED = "appealed", _("Appealed")
    FINAL = "final", _("Final (firme)")
    REVOKED = "revoked", _("Sanction revoked on appeal")


S = ProceedingStatus
# Where the proceeding waits for the legal directorate (the queue's "to do").
WAITING_ON_OFFICE = frozenset({S.RECEIVED, S.DEFENCE_FILED, S.AWAITING_RESOLUTION, S.APPEALED})
CLOSED_STATUSES = frozenset({S.ARCHIVED, S.DISMISSED, S.FINAL, S.REVOKED})


class ReferralReason(models.TextChoices):
    NO_AGREEMENT = "no_agreement", _("No agreement at the hearing")
    COMPANY_ABSENT = "company_absent", _("Company absent without excuse")
    BREACH = "breach", _("Breach of the agreement")
    OTHER = "other", _("Other")


class AppealOutcome(models.TextChoices):
    """What the appeal court (or the authority hearing the recurso) decided."""

    CONFIRMED = "confirmed", _("Sanction confirmed")
    REDUCED = "reduced", _("Fine reduced")
    REVOKED = "revoked", _("Sanction revoked")


def defence_upload_to(instance: "Proceeding", filename: str) -> str:
    return f"legal/defences/{secrets.token_hex(16)}.pdf"


class Proceeding(FSMModelMixin, models.Model):
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="legal_proceedings", verbose_name=_("case")
    )
    part = models.OneToOneField(
        CaseCompany, on_delete=models.PROTECT, related_name="proceeding", verbose_name=_("company in the case")
    )
    # The company as the referral named it: the queue searches these without joining the registry.
    company_name = models.CharField(_("company name"), max_length=200)
    company_cuit = models.CharField(_("company CUIT"), max_length=11)
    status = FSMField(
        _("status"), max_length=24, choices=ProceedingStatus.choices, default=ProceedingStatus.RECEIVED, protected=True
    )
    referral_reason = models.CharField(
        _("referral reason"), max_length=16, choices=ReferralReason.choices, default=ReferralReason.OTHER
    )
    referral_note = models.TextField(_("referral note"), blank=True)
    received_at = models.DateTimeField(_("referred at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # The imputación and the company's defence (descargo, Ley 24.240 art. 45).
    charged_at = models.DateTimeField(_("charged at"), null=True, blank=True)
    charge_text = models.TextField(_("charge (imputación)"), blank=True)
    # The charge is served as a formal notice (cédula) on the company's electronic domicile; the
    # defence window starts only at its proven service (opened, or deemed served), never at the click.
    charge_notice = models.ForeignKey(
        FormalNotice, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("charge notice")
    )
    defence_started_at = models.DateTimeField(_("defence window started at"), null=True, blank=True)
    defence_due_at = models.DateTimeField(_("defence due"), null=True, blank=True)
    defence_reminded_at = models.DateTimeField(_("defence reminder sent at"), null=True, blank=True)
    defence_text = models.TextField(_("defence (descargo)"), blank=True)
    defence_file = models.FileField(_("defence document"), upload_to=defence_upload_to, blank=True)
    defence_sha256 = models.CharField(max_length=64, blank=True)
    defence_filed_at = models.DateTimeField(_("defence filed at"), null=True, blank=True)
    defence_filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Filed on paper at the office and recorded by the legal directorate.
    defence_on_paper = models.BooleanField(_("filed on paper"), default=False)
    # The day a writing was filed at the office's counter: what the deadline is checked against, even
    # when the directorate records it later.
    defence_filed_on = models.DateField(_("defence filed at the office on"), null=True, blank=True)

    archive_reason = models.TextField(_("why it was archived"), blank=True)

    # The resolution: a fine (in unidades fijas) with the act that imposes it, or a dismissal.
    resolution_text = models.TextField(_("resolution"), blank=True)
    act_number = models.CharField(_("act number"), max_length=60, blank=True)
    fine_units = models.PositiveIntegerField(_("fine (unidades fijas)"), null=True, blank=True)
    resolution_notice = models.ForeignKey(
        FormalNotice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolution notice"),
    )
    appeal_started_at = models.DateTimeField(_("appeal window started at"), null=True, blank=True)
    appeal_due_at = models.DateTimeField(_("appeal due"), null=True, blank=True)
    appeal_reminded_at = models.DateTimeField(_("appeal reminder sent at"), null=True, blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    appeal_text = models.TextField(_("appeal"), blank=True)
    appeal_filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appeal_filed_on = models.DateField(_("appeal filed at the office on"), null=True, blank=True)
    appeal_outcome = models.CharField(
        _("outcome of the appeal"), max_length=16, choices=AppealOutcome.choices, blank=True
    )
    # The fine the resolution imposed, kept when the appeal reduced or revoked it.
    fine_units_imposed = models.PositiveIntegerField(_("fine imposed (unidades fijas)"), null=True, blank=True)
    appeal_result = models.TextField(_("result of the appeal"), blank=True)
    final_at = models.DateTimeField(_("final at"), null=True, blank=True)

    # The last decision of the directorate (charge, archive, resolution, finality) and who took it.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sanction proceeding")
        verbose_name_plural = _("sanction proceedings")
        ordering = ["received_at", "pk"]
        indexes = [
            # The queue: a status, oldest referral first.
            models.Index(fields=["status", "received_at", "id"], name="proceeding_queue"),
            models.Index(fields=["received_at", "id"], name="proceeding_all"),
            models.Index(fields=["referral_reason", "received_at"], name="proceeding_reason"),
            models.Index(fields=["company_cuit"], name="proceeding_cuit"),
            # Beat and the queue's "overdue" filter: expired windows in the state that has them.
            models.Index(fields=["defence_due_at"], name="proceeding_defence_due", condition=Q(status="charged")),
            models.Index(fields=["appeal_due_at"], name="proceeding_appeal_due", condition=Q(status="sanctioned")),
            # Beat: served notices whose window has not started yet (few rows at any time).
            models.Index(
                fields=["charge_notice"],
                name="proceeding_charge_unstarted",
                condition=Q(status="charged", defence_started_at__isnull=True),
            ),
            models.Index(
                fields=["resolution_notice"],
                name="proceeding_appeal_unstarted",
                condition=Q(status="sanctioned", appeal_started_at__isnull=True),
            ),
            # PostgreSQL also has a trigram index on UPPER(company_name), for search (migration 0002).
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} · {self.company_name} ({self.status})"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    # --- Transitions: state changes only, free of I/O; services save, log and notify. ---------------

    @transition(field=status, source=S.RECEIVED, target=S.CHARGED)
    def charge(self) -> None:
        pass

    @transition(field=status, source=S.RECEIVED, target=S.ARCHIVED)
    def archive(self) -> None:
        pass

    # From AWAITING_RESOLUTION too: a defence filed in time at the counter, recorded after the beat
    # lapsed the window (legal/policy.py lets only the directorate do that, with the filing date).
    @transition(field=status, source=[S.CHARGED, S.AWAITING_RESOLUTION], target=S.DEFENCE_FILED)
    def file_defence(self) -> None:
        pass

    @transition(field=status, source=S.CHARGED, target=S.AWAITING_RESOLUTION)
    def lapse_defence(self) -> None:
        pass

    @transition(field=status, source=[S.DEFENCE_FILED, S.AWAITING_RESOLUTION], target=S.SANCTIONED)
    def sanction(self) -> None:
        pass

    @transition(field=status, source=[S.DEFENCE_FILED, S.AWAITING_RESOLUTION], target=S.DISMISSED)
    def dismiss(self) -> None:
        pass

    # From FINAL too: an appeal filed in time at the counter, recorded after the beat made it final.
    @transition(field=status, source=[S.SANCTIONED, S.FINAL], target=S.APPEALED)
    def appeal(self) -> None:
        pass

    @transition(field=status, source=S.SANCTIONED, target=S.FINAL)
    def finalize(self) -> None:
        pass

    @transition(field=status, source=S.APPEALED, target=S.FINAL)
    def uphold_on_appeal(self) -> None:
        """Confirmed, or the fine reduced: the sanction (as it stands) is final."""

    @transition(field=status, source=S.APPEALED, target=S.REVOKED)
    def revoke_on_appeal(self) -> None:
        pass

    @property
    def final_by_lapse(self) -> bool:
        """Final because the appeal window passed (not after an appeal)."""
        return self.status == S.FINAL and self.appealed_at is None and not self.appeal_outcome
