from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("Company API and webhooks")

    def ready(self) -> None:
        from api import receivers  # noqa: F401  (webhooks follow the case's record)
