"""The case actions the hearings floor records that leave the case's state as it is (its moves of
the state are transitions of Complaint, declared in complaints/actions.py). Imported by
HearingsConfig.ready, so they are declared before any case event is written."""

from django.utils.translation import gettext_lazy as _

from complaints.actions import register

RESCHEDULE_HEARING = register("reschedule_hearing", _("Hearing rescheduled"), notifies="hearing_rescheduled")
ATTENDANCE_CORRECTED = register("attendance_corrected", _("Attendance corrected by the conciliator"))
RECORDING_CONSENTED = register("recording_consented", _("Agreed to the hearing being recorded"))
RECORDING_REFUSED = register("recording_refused", _("Did not agree to the hearing being recorded"))
RECORDING_REGISTERED = register(
    "recording_registered", _("Recording of the hearing registered"), notifies="recording_available"
)
ACTA_GENERATED = register("acta_generated", _("Acta issued"), notifies="acta_ready")
ACTA_CONFIRMED = register("acta_confirmed", _("Acta confirmed by a party"))
ABSENCE_JUSTIFIED = register("absence_justified", _("Absence justification filed"))
ABSENCE_ACCEPTED = register("absence_accepted", _("Absence justification accepted"), notifies="case_update")
COMPLIANCE_ASKED = register(
    "compliance_asked", _("Consumer asked whether the agreement was honoured"), notifies="compliance_due"
)
COMPLIANCE_PROOF_UPLOADED = register("compliance_proof_uploaded", _("Proof of compliance uploaded by the company"))
GUEST_INVITED = register("guest_invited", _("Guest invited to the hearing"))
GUEST_REVOKED = register("guest_revoked", _("Guest's invitation withdrawn"))
