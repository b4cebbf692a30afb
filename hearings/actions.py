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
# Its reason is the justification itself (often about health): the office and the consumer read it.
ABSENCE_JUSTIFIED = register("absence_justified", _("Absence justification filed"), reason_private=True)
ABSENCE_ACCEPTED = register("absence_accepted", _("Absence justification accepted"), notifies="case_update")
COMPLIANCE_ASKED = register(
    "compliance_asked", _("Consumer asked whether the agreement was honoured"), notifies="compliance_due"
)
COMPLIANCE_PROOF_UPLOADED = register("compliance_proof_uploaded", _("Proof of compliance uploaded by the company"))
# A hearing for the companies still to be heard in a case that already has an agreement (the case
# keeps its state; hearings/policy.py PART_HEARING_STATES). The hearing's own notice tells the parties.
PART_HEARING_SCHEDULED = register("part_hearing_scheduled", _("Hearing scheduled for the companies still to be heard"))
GUEST_INVITED = register("guest_invited", _("Guest invited to the hearing"))
GUEST_REVOKED = register("guest_revoked", _("Guest's invitation withdrawn"))
DISPOSITION_ISSUED = register("disposition_issued", _("Disposición homologating the agreement issued"))
INSTALMENT_ASKED = register(
    "instalment_asked", _("Consumer asked whether an instalment was paid"), notifies="compliance_due"
)
INSTALMENT_PAID = register("instalment_paid", _("Instalment confirmed as paid"))
INSTALMENT_PROOF_UPLOADED = register("instalment_proof_uploaded", _("Proof of an instalment uploaded by the company"))
# The office gives a hearing to another conciliator at the same time (the first one is on leave):
# not a reschedule (no new notice period, not counted), the parties get the updated invitation.
HEARING_REASSIGNED = register(
    "hearing_reassigned", _("Hearing reassigned to another conciliator"), notifies="hearing_reassigned"
)
