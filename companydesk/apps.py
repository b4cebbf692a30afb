from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompanydeskConfig(AppConfig):
    name = "companydesk"
    verbose_name = _("The company's desk")
