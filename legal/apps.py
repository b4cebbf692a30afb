from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "legal"
    verbose_name = _("Legal directorate")

    def ready(self) -> None:
        from . import actions, receivers  # noqa: F401  (declares its case actions, connects the receivers)
