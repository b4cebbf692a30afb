"""The office calendar's own record: who declared or removed which día inhábil, and when, and which
holidays of the `holidays` package came or went with an upgrade or a new OFFICE_HOLIDAY_SUBDIVISION
(`check_calendar`). The day itself is `parties.models.NonWorkingDay` (the lowest floor reads it for
every deadline); this log outlives a removal, and says whether the deadlines were recomputed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarChange(models.Model):
    class Action(models.TextChoices):
        DECLARED = "declared", _("Declared")
        REMOVED = "removed", _("Removed")
        HOLIDAY_ADDED = "holiday_added", _("Holiday added")
        HOLIDAY_REMOVED = "holiday_removed", _("Holiday removed")

    day = models.DateField(_("day"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    reason = models.CharField(_("reason"), max_length=200)
    resolution = models.CharField(_("resolution"), max_length=120, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
        null=True,  # a holiday the package brought (check_calendar): nobody in the office
        blank=True,
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    # Set (by one conditional UPDATE) once the deadlines the change touches were recomputed; the beat
    # job queues again a change still unset after a few minutes (a broker down, a worker lost).
    recomputed_at = models.DateTimeField(_("deadlines recomputed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar change")
        verbose_name_plural = _("calendar changes")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["day", "at"], name="workdays_change_day_at"),
            models.Index(fields=["at"], name="workdays_change_pending", condition=models.Q(recomputed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.action}"


class HolidaySet(models.Model):
    """The holidays of the `holidays` package (national and the jurisdiction's) the calendar used when
    `check_calendar` last ran: one row. The next run compares with it and recomputes the deadlines of
    each date that came or went (a package upgrade, a new OFFICE_HOLIDAY_SUBDIVISION)."""

    subdivision = models.CharField(_("subdivision"), max_length=10, blank=True)
    first_year = models.PositiveSmallIntegerField(_("first year"))
    last_year = models.PositiveSmallIntegerField(_("last year"))
    days = models.JSONField(_("days"), default=dict)  # ISO date -> the holiday's name
    checked_at = models.DateTimeField(_("checked at"), auto_now=True)

    class Meta:
        verbose_name = _("holidays in use")
        verbose_name_plural = _("holidays in use")

    def __str__(self) -> str:
        return f"{self.subdivision or '-'} {self.first_year}-{self.last_year}: {len(self.days)}"
