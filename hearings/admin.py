"""The hearings floor in Django's admin: to look up and inspect, not to edit. Every change to a
hearing, an acta or an agreement goes through hearings/services/ (row-locked, logged on the case),
so the admin shows these rows read-only."""

from django.contrib import admin
from django.http import HttpRequest

from hearings.models import (
    AbsenceJustification,
    Acta,
    ActaConfirmation,
    Agreement,
    Attendance,
    ComplianceProof,
    Hearing,
    Recording,
    RecordingConsent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AttendanceInline(ReadOnlyInline):
    model = Attendance
    fields = ("at", "kind", "party", "display_name", "user", "source", "note")


class RecordingInline(ReadOnlyInline):
    model = Recording
    fields = ("registered_at", "url", "file", "registered_by", "external_id")


class JustificationInline(ReadOnlyInline):
    model = AbsenceJustification
    fields = ("party", "submitted_at", "submitted_by", "decision", "decided_at", "decided_by")


@admin.register(Hearing)
class HearingAdmin(ReadOnlyAdmin):
    list_display = ("complaint", "starts_at", "conciliator", "status", "outcome")
    list_filter = ("status", "outcome")
    search_fields = ("=complaint__number", "=room", "conciliator__email")
    list_select_related = ("complaint", "conciliator")
    raw_id_fields = ("complaint", "conciliator", "continues", "scheduled_by", "outcome_recorded_by")
    date_hierarchy = "starts_at"
    inlines = [AttendanceInline, RecordingInline, JustificationInline]


class ConfirmationInline(ReadOnlyInline):
    model = ActaConfirmation
    fields = ("user", "party", "confirmed_at", "sha256")


@admin.register(Acta)
class ActaAdmin(ReadOnlyAdmin):
    list_display = ("hearing", "generated_at", "approved_at", "sha256")
    list_filter = (("approved_at", admin.EmptyFieldListFilter),)
    search_fields = ("=hearing__complaint__number", "=sha256")
    list_select_related = ("hearing__complaint",)
    raw_id_fields = ("hearing", "approved_by")
    inlines = [ConfirmationInline]


class ProofInline(ReadOnlyInline):
    model = ComplianceProof
    fields = ("original_name", "content_type", "size", "note", "uploaded_by", "uploaded_at")


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ("complaint", "compliance_due", "amount", "compliance_asked_at", "created_at")
    list_filter = (("compliance_asked_at", admin.EmptyFieldListFilter),)
    search_fields = ("=complaint__number",)
    list_select_related = ("complaint",)
    raw_id_fields = ("complaint", "hearing")
    inlines = [ProofInline]


@admin.register(AbsenceJustification)
class AbsenceJustificationAdmin(ReadOnlyAdmin):
    list_display = ("hearing", "party", "submitted_at", "decision", "decided_at")
    list_filter = ("decision", "party")
    search_fields = ("=hearing__complaint__number",)
    list_select_related = ("hearing__complaint",)
    raw_id_fields = ("hearing", "submitted_by", "decided_by")


@admin.register(RecordingConsent)
class RecordingConsentAdmin(ReadOnlyAdmin):
    list_display = ("hearing", "user", "consented", "at")
    list_filter = ("consented",)
    search_fields = ("=hearing__complaint__number",)
    list_select_related = ("hearing__complaint", "user")
    raw_id_fields = ("hearing", "user")
