"""The outbox and the formal notices.

A `Notification` is one message to one address on one channel. It is written inside the
transaction of the case move that caused it, so a move that rolls back leaves no message and a
move that commits always leaves one; a worker then delivers it and the row keeps the outcome.
The in-platform inbox reads the same rows (channel `inbox`).

A `FormalNotice` (cédula) is served on a company's electronic domicile; it counts as served when
a representative first opens it on the platform or, failing that, after a number of business days.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parties.models import Company


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    INBOX = "inbox", _("Platform inbox")


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    # A failed attempt that will be tried again at `next_attempt_at`.
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Failed for good")


class ProviderStatus(models.TextChoices):
    """What the provider reported after it accepted the message (Twilio's status callbacks, an
    e-mail's delivery status notification). Ordered: a report never moves a row back."""

    QUEUED = "queued", _("Queued by the provider")
    SENT = "sent", _("Sent by the provider")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    UNDELIVERED = "undelivered", _("Not delivered")
    FAILED = "failed", _("Failed at the provider")
    BOUNCED = "bounced", _("Bounced")


# Reports that mean the message did not reach the person.
PROVIDER_FAILURES = (ProviderStatus.UNDELIVERED, ProviderStatus.FAILED, ProviderStatus.BOUNCED)


# Rows the sweeper may have to pick up. Everything else (sent, dead) is history, and the partial
# index below leaves it out, so the sweeper's index stays small however many millions are sent.
OPEN_STATUSES = (Status.PENDING, Status.SENDING, Status.FAILED)


class Notification(models.Model):
    """One message to one address on one channel, rendered once in the recipient's language.

    `next_attempt_at` is when the sweeper may next take the row: for a pending row, the grace
    it gives the queued task; for a failed row, the backoff; for a row being sent, the end of the
    worker's lease (after which the worker is presumed dead and the row is taken again)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
        # Covered by the (recipient, channel, read_at) index: no separate index on a table this big.
        db_index=False,
    )
    address = models.CharField(_("address"), max_length=254, help_text=_("The e-mail address or phone number used."))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    event = models.CharField(_("event"), max_length=64)
    case_number = models.CharField(_("case number"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    # [{"filename", "content_type", "path" (a name in the default storage) or "content" (small inline text)}]
    attachments = models.JSONField(_("attachments"), default=list, blank=True)

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    # What the provider said happened after it accepted the message (delivered, read, failed…).
    provider_status = models.CharField(
        _("provider's status"), max_length=12, choices=ProviderStatus.choices, blank=True
    )
    provider_status_at = models.DateTimeField(_("provider's status at"), null=True, blank=True)
    provider_error = models.CharField(_("provider's error"), max_length=255, blank=True)
    # The declared context of the event (notifications/events.py), encoded by notifications/codec.py:
    # the worker renders subject and bodies from it when it delivers the row.
    context = models.JSONField(_("context"), default=dict, blank=True)
    # A formal notice sent again by another channel because this one failed (notifications/feedback.py).
    fallback_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fallbacks",
        verbose_name=_("sent again instead of"),
        db_index=False,
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=255)
    # A message with legal effect (a cédula, a hearing citation to the electronic domicile): kept
    # whole for ever, whatever NOTIFICATION_RETENTION_DAYS says.
    formal = models.BooleanField(_("formal notice"), default=False)
    # Set when the retention job removed the text of a case's message and kept the record of its
    # delivery (who, which channel, when) for the case file.
    redacted_at = models.DateTimeField(_("text removed at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key", "channel"], name="notification_once_per_channel"),
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="notification_sweep_idx",
            ),
            models.Index(fields=["recipient", "channel", "read_at"], name="notification_inbox_idx"),
            models.Index(fields=["case_number"], name="notification_case_idx"),
            # The failures page also lists what the provider reported lost, newest first.
            models.Index(
                fields=["-created_at"],
                condition=Q(provider_status__in=PROVIDER_FAILURES),
                name="notification_provider_lost_idx",
            ),
            # Status callbacks and bounces find their row by the provider's id.
            models.Index(
                fields=["provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="notification_provider_id_idx",
            ),
            # The failures page: dead and failed rows, newest first.
            models.Index(
                fields=["status", "-created_at"],
                condition=Q(status__in=[Status.FAILED, Status.DEAD]),
                name="notification_failures_idx",
            ),
            # The retention job: history still holding its text, oldest first. Formal and already
            # stripped rows are left out, so each run starts at the first row it may act on.
            models.Index(
                fields=["created_at"],
                condition=Q(redacted_at__isnull=True, formal=False),
                name="notification_retention_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.address} ({self.channel})"

    @property
    def is_unread(self) -> bool:
        return self.channel == Channel.INBOX and self.read_at is None


class ProviderCallback(models.Model):
    """Each status report a provider sent us, once: a replayed report (the same signed request
    again) finds its digest taken and changes nothing."""

    provider = models.CharField(_("provider"), max_length=20)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    message_id = models.CharField(_("provider's message id"), max_length=100)
    status = models.CharField(_("reported status"), max_length=20)
    # The provider's error, when the report carries one (Twilio's ErrorCode, e.g. 63016).
    error = models.CharField(_("provider's error"), max_length=255, blank=True)
    notification = models.ForeignKey(
        "Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="provider_callbacks",
        verbose_name=_("notification"),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("provider report")
        verbose_name_plural = _("provider reports")

    def __str__(self) -> str:
        return f"{self.provider} {self.message_id}: {self.status}"


class WhatsAppWindow(models.Model):
    """The last time a person wrote to the office on WhatsApp. For 24 hours after it (the
    customer-service window) a free-text message may be sent; outside it only approved templates."""

    phone = models.CharField(_("phone"), max_length=32, unique=True)
    last_inbound_at = models.DateTimeField(_("last message from the person at"))

    class Meta:
        verbose_name = _("WhatsApp conversation window")
        verbose_name_plural = _("WhatsApp conversation windows")

    def __str__(self) -> str:
        return f"{self.phone} @ {self.last_inbound_at:%Y-%m-%d %H:%M}"


class BouncedAddress(models.Model):
    """An e-mail address whose mail server refused a message for good (a hard bounce). The outbox no
    longer writes to it until someone clears it (the person changes their address, the office
    confirms it works again)."""

    address = models.CharField(_("address"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    bounced_at = models.DateTimeField(_("bounced at"), default=timezone.now)
    notification = models.ForeignKey(
        "Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bounced message"),
    )
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cleared by"),
    )

    class Meta:
        verbose_name = _("bounced address")
        verbose_name_plural = _("bounced addresses")

    def __str__(self) -> str:
        return self.address

    @property
    def is_active(self) -> bool:
        return self.cleared_at is None


class NotificationRetry(models.Model):
    """Audit of a message sent again by hand: who asked, when, and what the row said before."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="retries", verbose_name=_("notification")
    )
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent again by")
    )
    retried_at = models.DateTimeField(_("sent again at"), default=timezone.now)
    previous_status = models.CharField(_("previous status"), max_length=10, choices=Status.choices)
    previous_attempts = models.PositiveSmallIntegerField(_("previous attempts"))
    previous_error = models.TextField(_("previous error"), blank=True)

    class Meta:
        verbose_name = _("manual retry")
        verbose_name_plural = _("manual retries")
        ordering = ["-retried_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.notification_id} @ {self.retried_at:%Y-%m-%d %H:%M}"


def _notice_document_path(instance: "FormalNotice", filename: str) -> str:
    # A folder of its own per document: storages that overwrite a taken name (S3) must never let
    # one company's cédula replace another's.
    return f"formal-notices/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename}"


class FormalNotice(models.Model):
    """A cédula served on a company's electronic domicile.

    `deemed_served_at` is fixed when it is sent: the end of the Nth business day after sending
    (settings.DEADLINES["NOTICE_DEEMED_SERVED"]). `served_at` is stored once known: the first
    opening by a representative, or `deemed_served_at`, whichever comes first."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="formal_notices", verbose_name=_("company")
    )
    case_number = models.CharField(_("case number"), max_length=20, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    document = models.FileField(_("document"), upload_to=_notice_document_path, blank=True, max_length=255)
    address = models.EmailField(_("electronic domicile used"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    deemed_served_at = models.DateTimeField(_("deemed served at"))
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first opened by"),
    )
    served_at = models.DateTimeField(_("served at"), null=True, blank=True)

    class Meta:
        verbose_name = _("formal notice")
        verbose_name_plural = _("formal notices")
        ordering = ["-sent_at"]
        indexes = [
            models.Index(fields=["company", "-sent_at"], name="formalnotice_company_idx"),
            # The beat job looks only at notices not yet served.
            models.Index(
                fields=["deemed_served_at"], condition=Q(served_at__isnull=True), name="formalnotice_unserved_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_number or '—'}: {self.subject}"

    @property
    def served_by_opening(self) -> bool:
        return self.served_at is not None and self.opened_at is not None and self.served_at == self.opened_at

    @property
    def is_served(self) -> bool:
        return self.served_at is not None
