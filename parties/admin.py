from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from parties.models import (
    Company,
    ConciliatorDayOff,
    ConciliatorProfile,
    ConsumerProfile,
    Invitation,
    Representation,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "preferred_language"]
    search_fields = ["email", "first_name", "last_name", "consumer_profile__dni"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "preferred_language")}),
        (_("Role"), {"fields": ("role", "is_active", "is_staff", "is_superuser", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),)


@admin.register(ConsumerProfile)
class ConsumerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "dni", "province", "city", "phone"]
    list_filter = ["province"]
    search_fields = ["dni", "cuil", "user__email", "user__last_name"]
    raw_id_fields = ["user"]


class RepresentationInline(admin.TabularInline):
    model = Representation
    extra = 0
    raw_id_fields = ["user", "revoked_by"]
    fields = ["user", "is_admin", "created_at", "revoked_at", "revoked_by"]
    readonly_fields = ["created_at"]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "cuit", "electronic_domicile", "created_at"]
    list_filter = [("electronic_domicile", admin.EmptyFieldListFilter)]
    search_fields = ["legal_name", "trade_names", "cuit"]
    inlines = [RepresentationInline]
    raw_id_fields = ["created_by"]


@admin.register(Representation)
class RepresentationAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "is_admin", "created_at", "revoked_at"]
    list_filter = ["is_admin", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "company__legal_name", "company__cuit"]
    raw_id_fields = ["user", "company", "revoked_by"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "company", "is_admin", "created_at", "expires_at", "accepted_at", "cancelled_at"]
    list_filter = ["is_admin", ("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "company__legal_name", "company__cuit"]
    raw_id_fields = ["company", "invited_by", "accepted_by"]
    readonly_fields = ["token"]


class DayOffInline(admin.TabularInline):
    model = ConciliatorDayOff
    extra = 0


@admin.register(ConciliatorProfile)
class ConciliatorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "work_days", "work_start", "work_end", "max_hearings_per_day"]
    search_fields = ["user__email", "user__last_name"]
    inlines = [DayOffInline]
    raw_id_fields = ["user"]
