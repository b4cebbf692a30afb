"""The case action the privacy floor records (complaints/actions.py's registry). Imported by
PrivacyConfig.ready, so it is declared before any case event is written."""

from django.utils.translation import gettext_lazy as _

from complaints.actions import register

CASE_ANONYMISED = register("case_anonymised", _("Personal data removed after the retention period"))
