from django.contrib import admin
from django.http import HttpRequest

from privacy.models import AccessLog, AnonymisedCase, DataRequest


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read only: the log is written by the middleware and expired by the retention job alone."""

    list_display = ("at", "user", "role", "kind", "object_id", "case_number", "ip")
    list_filter = ("kind", "role")
    search_fields = ("case_number", "user__email")
    date_hierarchy = "at"
    raw_id_fields = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AnonymisedCase)
class AnonymisedCaseAdmin(admin.ModelAdmin):
    list_display = ("complaint", "anonymised_at")
    raw_id_fields = ("complaint",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "case_number", "status", "handled_at")
    list_filter = ("status", "kind")
    search_fields = ("user__email", "case_number")
    raw_id_fields = ("user", "handled_by")
