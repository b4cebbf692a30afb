from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = _("Deadlines oversight")

    def ready(self) -> None:
        from . import actions, receivers  # noqa: F401  (declares its case actions, keeps the clocks in step)
