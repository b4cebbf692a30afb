"""Who takes part in a case besides the consumer: each company claimed against (art. 40 joint
liability: seller, manufacturer, financier), how each was served (electronically or on paper), and
the consumer's own representative (apoderado or patrocinio) with the power an officer validated.

Each company's part has its own service, deadlines, answer, offers, attendance and end; the case
closes once every part has ended. Part statuses move only through complaints/services/parts.py.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parties.models import Company, PowerStatus, Province, power_document_upload_to

from .case import Complaint


class CompanyRole(models.TextChoices):
    SELLER = "seller", _("Seller")
    MANUFACTURER = "manufacturer", _("Manufacturer or importer")
    FINANCIER = "financier", _("Card issuer or financier")
    SERVICE = "service", _("Service provider")
    OTHER = "other", _("Other")


class PartStatus(models.TextChoices):
    NAMED = "named", _("Named in the complaint")
    SERVED = "served", _("Served")
    AGREEMENT = "agreement", _("Agreement")
    NO_AGREEMENT = "no_agreement", _("No agreement")
    ABSENT = "absent", _("Absent from the hearing")
    COMPLIED = "complied", _("Complied with the agreement")
    REFERRED = "referred", _("Referred to the legal directorate")
    ENDED = "ended", _("Ended with the case")


# A part in one of these has ended: the case closes once all its parts have.
CLOSED_PART_STATUSES = frozenset({PartStatus.COMPLIED, PartStatus.REFERRED, PartStatus.ENDED})
OPEN_PART_STATUSES = [s for s in PartStatus.values if s not in CLOSED_PART_STATUSES]


class ServiceMethod(models.TextChoices):
    ELECTRONIC = "electronic", _("Electronic domicile")
    PAPER = "paper", _("On paper, at the legal address")


class CaseCompany(models.Model):
    """One company's part in a case. Position 1 is the lead company the case is titled by
    (`Complaint.company`, kept equal by complaints/services/parts.py)."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="parts", verbose_name=_("case"))
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    # A registered company, or (while a draft) the CUIT and name of one that is not yet.
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="case_parts", verbose_name=_("company")
    )
    cuit = models.CharField(_("CUIT"), max_length=11)
    name = models.CharField(_("company name"), max_length=200)
    role = models.CharField(_("its part in the purchase"), max_length=16, choices=CompanyRole.choices, blank=True)
    # The domicile the consumer gives: where a paper notice goes and a test of the office's competence.
    address = models.CharField(_("company's address"), max_length=250, blank=True)
    province = models.CharField(_("company's province"), max_length=4, choices=Province.choices, blank=True)

    status = models.CharField(_("status"), max_length=16, choices=PartStatus.choices, default=PartStatus.NAMED)
    service_method = models.CharField(_("served by"), max_length=12, choices=ServiceMethod.choices, blank=True)
    # When the notice was proven delivered (the electronic one on sending, a paper one on its receipt):
    # every deadline against the company runs from here, never from an unproven notice.
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    domicile_due_at = models.DateTimeField(_("electronic domicile due"), null=True, blank=True)
    justification_due_at = models.DateTimeField(_("justification due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The company's own handling (complaints/services/assignment.py): the representative in charge,
    # who alone receives the part's ordinary notices (the formal ones always go to the electronic
    # domicile), and when the company acknowledged receiving the case.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_case_parts",
        verbose_name=_("assigned representative"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company in the case")
        verbose_name_plural = _("companies in the case")
        ordering = ["complaint_id", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "cuit"], name="casecompany_once_per_case"),
            models.UniqueConstraint(fields=["complaint", "position"], name="casecompany_position"),
        ]
        indexes = [
            # A company's cases (its list, its indicators): by company and part status.
            models.Index(fields=["company", "status"], name="casecompany_company_status"),
            # A representative's cases in which their company is named after the lead and was served
            # (complaints/selectors.py `_served_companies_cases`): read from the index alone.
            models.Index(
                fields=["company", "complaint"],
                name="casecompany_served_not_lead",
                condition=Q(position__gt=1, notified_at__isnull=False),
            ),
            # Search and the company filter: the companies after the lead (the lead is on the case).
            models.Index(
                fields=["company", "complaint"], name="casecompany_later_company", condition=Q(position__gt=1)
            ),
            # A company's served cases, newest first (the company desk and the API's keyset pages),
            # and the same narrowed to one representative's assignments. It carries the position (the
            # lead sees its case only in some states) and the part's id, so a page's keys are read
            # from the index alone, joined to the cases' states on `complaint_status_newest`
            # (api/routers/cases.py; migration 0019).
            models.Index(
                fields=["company", "-complaint"],
                name="casecompany_served",
                condition=Q(notified_at__isnull=False),
                include=["position", "id"],
            ),
            models.Index(
                fields=["company", "assignee", "-complaint"],
                name="casecompany_assigned",
                condition=Q(notified_at__isnull=False),
            ),
            # Search in drafts: the companies not yet in the registry, by CUIT or name.
            models.Index(fields=["cuit"], name="casecompany_unregistered", condition=Q(company__isnull=True)),
            # Beat: parts whose domicile deadline passed, parts whose justification deadline passed.
            models.Index(fields=["domicile_due_at"], name="casecompany_domicile_due", condition=Q(status="named")),
            models.Index(
                fields=["justification_due_at"], name="casecompany_justification_due", condition=Q(status="absent")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} #{self.position} {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.company.legal_name if self.company_id and self.company else self.name

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_PART_STATUSES

    @property
    def has_electronic_domicile(self) -> bool:
        return self.company is not None and self.company.has_electronic_domicile


def paper_receipt_upload_to(instance: "PaperNotice", filename: str) -> str:
    # The receipt may be a PDF or a photo: keep the extension the upload's sniffed type gave it.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "pdf"
    return f"paper-notices/{secrets.token_hex(16)}.{extension}"


def paper_document_upload_to(instance: "PaperNotice", filename: str) -> str:
    return f"paper-notices/{secrets.token_hex(16)}.pdf"


class PaperNotice(models.Model):
    """A cédula printed for a company's legal address, or a carta documento, and what became of it:
    dispatched, then delivered (with the receipt) or failed (the office is asked for another address)."""

    class Kind(models.TextChoices):
        CEDULA = "cedula", _("Printed cédula")
        CARTA_DOCUMENTO = "carta_documento", _("Carta documento")

    class Status(models.TextChoices):
        PRINTED = "printed", _("Printed, not yet dispatched")
        DISPATCHED = "dispatched", _("Dispatched")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Not delivered")

    part = models.ForeignKey(CaseCompany, on_delete=models.PROTECT, related_name="paper_notices")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CEDULA)
    address = models.CharField(_("address"), max_length=250)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PRINTED)
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)
    # The printed document's own hash: what was sent is what the record says was sent.
    sha256 = models.CharField(max_length=64, blank=True)
    printed_at = models.DateTimeField(_("printed at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("delivery failed at"), null=True, blank=True)
    failure_reason = models.CharField(_("why it was not delivered"), max_length=300, blank=True)
    receipt = models.FileField(_("receipt"), upload_to=paper_receipt_upload_to, blank=True)
    # The printed cédula itself (empty for a carta documento, printed at the post office).
    document = models.FileField(_("printed notice"), upload_to=paper_document_upload_to, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("paper notice")
        verbose_name_plural = _("paper notices")
        ordering = ["created_at", "pk"]
        constraints = [
            # One notice in flight per part: a new one only once the last was delivered or failed.
            models.UniqueConstraint(
                fields=["part"], condition=Q(status__in=["printed", "dispatched"]), name="one_paper_notice_in_flight"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.address} ({self.status})"


class ConsumerRepresentative(models.Model):
    """Someone acting for the consumer in one case: an apoderado (acts in their name) or a lawyer
    (patrocinio: assists them). Acts only once an officer validated the power; the consumer (or the
    office) can revoke it, which keeps the row as a record."""

    class Kind(models.TextChoices):
        ATTORNEY = "attorney", _("Apoderado/a (acts in the consumer's name)")
        LAWYER = "lawyer", _("Lawyer (patrocinio letrado)")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="consumer_representatives")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consumer_representations"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    bar_registration = models.CharField(_("bar registration (tomo y folio)"), max_length=40, blank=True)
    power_document = models.FileField(_("power (poder)"), upload_to=power_document_upload_to, blank=True)
    power_sha256 = models.CharField(max_length=64, blank=True)
    power_status = models.CharField(_("power"), max_length=12, choices=PowerStatus.choices, default=PowerStatus.PENDING)
    power_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    power_decided_at = models.DateTimeField(null=True, blank=True)
    power_rejection_reason = models.CharField(_("why the power was rejected"), max_length=300, blank=True)
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consumer's representative")
        verbose_name_plural = _("consumer's representatives")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "user"], condition=Q(revoked_at__isnull=True), name="one_active_consumer_rep"
            )
        ]
        indexes = [
            models.Index(fields=["user"], name="consumerrep_active_user", condition=Q(revoked_at__isnull=True)),
            models.Index(fields=["power_status", "created_at"], name="consumerrep_power_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.complaint_id} ({self.kind})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def may_act(self) -> bool:
        return self.revoked_at is None and self.power_status == PowerStatus.VALIDATED
