from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Personal data")

    def ready(self) -> None:
        from . import actions  # noqa: F401  (declares its case action before any event is written)
