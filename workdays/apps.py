from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "workdays"
    verbose_name = _("Office calendar")

    def ready(self) -> None:
        from celery.signals import task_prerun

        # A task (above all the deadline recompute queued after a change) reads the calendar as it is
        # now, not as this worker last checked it a few seconds ago: one cache GET per task.
        task_prerun.connect(_refresh_calendar, weak=False, dispatch_uid="workdays.refresh_calendar")


def _refresh_calendar(**_kwargs: object) -> None:
    from parties.business_days import refresh_calendar

    refresh_calendar()
