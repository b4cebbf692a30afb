from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from notifications import services
from notifications.models import FormalNotice, Notification, NotificationRetry, Status
from notifications.rendering import ensure_rendered
from parties.models import User


class NotificationRetryInline(admin.TabularInline):
    """The audit of manual retries: read only."""

    model = NotificationRetry
    fields = ("retried_at", "retried_by", "previous_status", "previous_attempts", "previous_error")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "channel", "address", "case_number", "status", "attempts", "created_at", "sent_at")
    # The table grows to millions of rows: filters with fixed choices only (no SELECT DISTINCT over
    # the table), exact-match searches that use an index, no date hierarchy, no full COUNT per page.
    list_filter = ("status", "channel")
    search_fields = ("=case_number", "=address", "=event", "=idempotency_key")
    show_full_result_count = False
    list_select_related = False
    raw_id_fields = ("recipient",)
    readonly_fields = (
        "recipient",
        "address",
        "channel",
        "event",
        "case_number",
        "language",
        "subject",
        "body_text",
        "body_html",
        "attachments",
        "formal",
        "redacted_at",
        "status",
        "attempts",
        "last_error",
        "provider_message_id",
        "provider_status",
        "provider_status_at",
        "provider_error",
        "context",
        "fallback_of",
        "idempotency_key",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "read_at",
    )
    inlines = [NotificationRetryInline]
    actions = ["retry_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Notification | None:
        """A row the worker has not reached yet is shown with its text, rendered here."""
        notification = super().get_object(request, object_id, from_field)
        if notification is not None:
            ensure_rendered([notification])
        return notification

    @admin.action(description=_("Send the selected failed messages again"))
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        user = request.user
        if not isinstance(user, User) or not user.has_staff_role:
            self.message_user(request, _("Only office staff can send a message again."), messages.ERROR)
            return
        count = 0
        for notification in queryset.filter(status__in=[Status.FAILED, Status.DEAD], redacted_at__isnull=True):
            try:
                services.notification_retry(notification=notification, by=user)
            except services.NotificationError:
                continue  # changed meanwhile (sent, or past retention)
            count += 1
        self.message_user(request, _("%(count)s messages queued again.") % {"count": count})


@admin.register(NotificationRetry)
class NotificationRetryAdmin(admin.ModelAdmin):
    """Who sent which failed message again by hand, and what it had been through before."""

    list_display = ("retried_at", "notification", "retried_by", "previous_status", "previous_attempts")
    list_filter = ("previous_status",)
    search_fields = ("=notification__id", "=notification__case_number", "=retried_by__email")
    raw_id_fields = ("notification", "retried_by")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(FormalNotice)
class FormalNoticeAdmin(admin.ModelAdmin):
    list_display = ("id", "case_number", "company", "subject", "sent_at", "opened_at", "served_at")
    list_filter = (("served_at", admin.EmptyFieldListFilter), ("opened_at", admin.EmptyFieldListFilter))
    search_fields = ("=case_number", "company__legal_name", "=company__cuit", "subject")
    date_hierarchy = "sent_at"
    raw_id_fields = ("company", "opened_by")
    readonly_fields = (
        "address",
        "idempotency_key",
        "sent_at",
        "deemed_served_at",
        "opened_at",
        "opened_by",
        "served_at",
    )
    show_full_result_count = False
