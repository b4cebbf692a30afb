from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HearingsConfig(AppConfig):
    name = "hearings"
    verbose_name = _("Hearings")

    def ready(self) -> None:
        from . import actions, receivers  # noqa: F401  (declares its case actions, connects the receivers)
