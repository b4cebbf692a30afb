"""The case actions of the legal directorate: each move of a company's sanction proceeding is an
event on the case's own chain (complaints/actions.py explains the registry). Imported by
LegalConfig.ready, so they are declared before any case event is written. None changes the case's
state: the case is already closed as referred; the proceeding (legal.models.Proceeding) moves."""

from django.utils.translation import gettext_lazy as _

from complaints.actions import register

LEGAL_UPDATE = "legal_update"  # the notification event every move sends (notifications/events.py)

LEGAL_RECEIVED = register("legal_received", _("Referral received by the legal directorate"), notifies=LEGAL_UPDATE)
LEGAL_CHARGED = register("legal_charged", _("Infraction charged (imputación)"), notifies=LEGAL_UPDATE)
LEGAL_ARCHIVED = register("legal_archived", _("Archived by the legal directorate"), notifies=LEGAL_UPDATE)
DEFENCE_FILED = register("defence_filed", _("Defence (descargo) filed by the company"), notifies=LEGAL_UPDATE)
DEFENCE_LAPSED = register(
    "defence_lapsed", _("Defence (descargo) deadline passed without a defence"), notifies=LEGAL_UPDATE
)
LEGAL_SANCTIONED = register("legal_sanctioned", _("Sanction imposed (fine)"), notifies=LEGAL_UPDATE)
LEGAL_DISMISSED = register("legal_dismissed", _("Proceeding dismissed (sobreseimiento)"), notifies=LEGAL_UPDATE)
APPEAL_FILED = register("appeal_filed", _("Appeal filed against the sanction"), notifies=LEGAL_UPDATE)
LEGAL_FINAL = register("legal_final", _("Sanction final (firme)"), notifies=LEGAL_UPDATE)
# The charge and the resolution are served as formal notices; their windows start at the service.
LEGAL_CHARGE_SERVED = register(
    "legal_charge_served", _("Charge served on the company: the defence window starts"), notifies=LEGAL_UPDATE
)
LEGAL_RESOLUTION_SERVED = register(
    "legal_resolution_served", _("Resolution served on the company: the appeal window starts"), notifies=LEGAL_UPDATE
)
# The result of an appeal: each its own record and notice, never a plain "final".
SANCTION_CONFIRMED = register("sanction_confirmed", _("Sanction confirmed on appeal"), notifies=LEGAL_UPDATE)
FINE_REDUCED = register("fine_reduced", _("Fine reduced on appeal"), notifies=LEGAL_UPDATE)
SANCTION_REVOKED = register("sanction_revoked", _("Sanction revoked on appeal"), notifies=LEGAL_UPDATE)
