"""The companies' machine access: API keys (stored hashed, scoped, revocable), the audit log of
every call, idempotency records of POSTs, and webhooks (endpoints and their outbox of deliveries)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parties.models import Company


class Scope(models.TextChoices):
    READ = "read", _("Read cases, hearings and documents")
    ANSWER = "answer", _("Answer cases, confirm actas and upload compliance proof")
    OFFER = "offer", _("Make offers and answer counter-offers")


class ApiKey(models.Model):
    """A key a company's administrator created. The secret is shown once; only its SHA-256 is kept
    (a 256-bit random secret needs no slow hash). It acts for the person who created it, within its
    scopes: it stops working when that person no longer represents the company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("company"))
    name = models.CharField(_("name"), max_length=100)
    # The public part of the key ("ck_<prefix>_<secret>"), to find the row without a scan.
    prefix = models.CharField(max_length=16, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["company_id", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class ApiCall(models.Model):
    """One call made with a key: the company's audit log of its machine access."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="calls")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    idempotency_key = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        indexes = [
            models.Index(fields=["company", "-at"], name="apicall_company_at"),
            models.Index(fields=["key", "-at"], name="apicall_key_at"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"


class IdempotentRequest(models.Model):
    """A POST made with an Idempotency-Key: its answer, returned again to a retry of the same request
    (and refused for a different request under the same key)."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=200)
    request_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "idempotency_key"], name="idempotency_once_per_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotentrequest_created")]

    def __str__(self) -> str:
        return f"{self.key_id}:{self.idempotency_key}"


class WebhookEvent(models.TextChoices):
    CASE_SERVED = "case.served", _("Case served on the company")
    HEARING_SCHEDULED = "hearing.scheduled", _("Hearing set, moved or cancelled")
    CASE_OUTCOME = "case.outcome", _("Outcome of the case or of the company's part")
    ACTA_READY = "acta.ready", _("Acta ready to confirm")
    DEADLINE_NEAR = "deadline.near", _("A deadline of the company is near")


class WebhookEndpoint(models.Model):
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="webhook_endpoints", verbose_name=_("company")
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    # Signs each delivery (HMAC-SHA256, Standard Webhooks: "whsec_" + base64 of 32 random bytes).
    secret = models.CharField(max_length=80)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Switched off by its administrator, or by repeated failure (disabled_at and why).
    active = models.BooleanField(_("active"), default=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=200, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["company_id", "pk"]
        indexes = [models.Index(fields=["company"], name="webhookendpoint_active", condition=Q(active=True))]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """The outbox row of one event for one endpoint, written in the transaction of the move that
    caused it; a task delivers it after commit and the beat sweeper retries what is due."""

    # The delivery's stable id (the `webhook-id` header): a retry or a resend carries the same one.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=32, choices=WebhookEvent.choices)
    # What caused it, e.g. "case-event:123": one delivery per endpoint and cause.
    source = models.CharField(max_length=80)
    payload = models.JSONField()
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "source", "event"], name="webhook_once_per_cause")]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhookdelivery_log"),
            models.Index(fields=["next_attempt_at"], name="webhookdelivery_due", condition=Q(status="pending")),
            # The sweeper's lease check: deliveries a worker took and never finished.
            models.Index(fields=["next_attempt_at"], name="webhookdelivery_sending", condition=Q(status="sending")),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
