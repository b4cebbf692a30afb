"""Personal data (Ley 25.326): who read which case document, what was anonymised, and what people
asked the office to correct or delete."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint
from parties.models import Role


class AccessKind(models.TextChoices):
    CASE_FILE = "case_file", _("Case file")
    CASE_EXPORT = "case_export", _("Case file export (PDF)")
    RECEIPT = "receipt", _("Filing receipt")
    EVIDENCE = "evidence", _("Evidence file")
    ACTA = "acta", _("Acta")
    RECORDING = "recording", _("Hearing recording")
    COMPLIANCE_PROOF = "compliance_proof", _("Proof of compliance")
    JUSTIFICATION = "justification", _("Absence justification file")
    FORMAL_NOTICE = "formal_notice", _("Formal notice (cédula)")


class AccessLog(models.Model):
    """One successful read of a case document by a signed-in person, written by
    privacy.middleware.AccessLogMiddleware. Append-only; deleted only by the retention job.

    The case is kept as its id and number, not as a foreign key: the record of a read outlives
    whatever happens to what was read. `role` is the reader's role at the time."""

    at = models.DateTimeField(_("when"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("who"), db_index=False
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    url_name = models.CharField(_("page"), max_length=64)
    kind = models.CharField(_("what"), max_length=20, choices=AccessKind.choices)
    object_id = models.BigIntegerField(_("object id"))
    case_id = models.BigIntegerField(_("case id"), null=True, blank=True)
    case_number = models.CharField(_("case number"), max_length=20, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=256, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-pk"]
        indexes = [
            # The supervisor's list (newest first) and the retention job (oldest first).
            models.Index(fields=["-at", "-id"], name="accesslog_recent"),
            models.Index(fields=["case_number", "-at"], name="accesslog_case"),
            models.Index(fields=["user", "-at"], name="accesslog_user"),
            models.Index(fields=["kind", "-at"], name="accesslog_kind"),
            models.Index(fields=["role", "-at"], name="accesslog_role"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.kind} {self.object_id}"


class AnonymisedCase(models.Model):
    """A closed case whose personal data was removed after CASE_RETENTION_YEARS. The case keeps its
    statistics; `removed_files` keeps each deleted file's kind, SHA-256 and size."""

    complaint = models.OneToOneField(
        Complaint, on_delete=models.PROTECT, related_name="anonymisation", verbose_name=_("case")
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), default=timezone.now)
    removed_files = models.JSONField(_("removed files"), default=list, blank=True)

    class Meta:
        verbose_name = _("anonymised case")
        verbose_name_plural = _("anonymised cases")

    def __str__(self) -> str:
        return f"{self.complaint_id} @ {self.anonymised_at:%Y-%m-%d}"


class DataRequest(models.Model):
    """A person asks the office to correct or delete their data (Ley 25.326 arts. 14 and 16)."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correct my data")
        DELETION = "deletion", _("Delete my data")
        OTHER = "other", _("Something else about my data")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_requests", verbose_name=_("person")
    )
    kind = models.CharField(_("what you ask for"), max_length=12, choices=Kind.choices, default=Kind.CORRECTION)
    case_number = models.CharField(_("case number (optional)"), max_length=20, blank=True)
    details = models.TextField(_("what is wrong and what it should say"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    resolution = models.TextField(_("what the office did"), blank=True)

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "-created_at"], name="datarequest_queue")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} ({self.status})"
