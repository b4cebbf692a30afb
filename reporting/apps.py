from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Indicators, surveys and open data")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (asks the parties for a survey when a case ends)
