from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "parties"
    verbose_name = _("Parties")

    def ready(self) -> None:
        from parties import mfa  # noqa: F401  (connects the enrolment receiver)
