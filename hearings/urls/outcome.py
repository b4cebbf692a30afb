from django.urls import path

from hearings.views import homologation, outcome

urlpatterns = [
    # The conciliator's console and the outcome
    path("audiencias/<int:pk>/consola/", outcome.hearing_console, name="hearing_console"),
    path("audiencias/<int:pk>/resultado/", outcome.hearing_outcome, name="hearing_outcome"),
    # The acta
    path("audiencias/<int:pk>/acta.pdf", outcome.acta_download, name="acta_download"),
    path("audiencias/<int:pk>/acta/", outcome.acta_confirm, name="acta_confirm"),
    # Homologation is the director's (or a delegate's) act: hearings/views/homologation.py.
    path("reclamos/<int:pk>/homologar/", homologation.agreement_homologate, name="agreement_approve"),
    # Absences
    path("audiencias/<int:pk>/justificar/", outcome.absence_justify, name="absence_justify"),
    path("justificaciones/<int:pk>/decidir/", outcome.absence_decide, name="absence_decide"),
    path("justificaciones/<int:pk>/archivo/", outcome.absence_justification_file, name="absence_justification_file"),
    # The agreement's follow-up
    path("reclamos/<int:pk>/cumplimiento/", outcome.compliance_answer, name="compliance_answer"),
    path(
        "reclamos/<int:pk>/cumplimiento/comprobante/", outcome.compliance_proof_upload, name="compliance_proof_upload"
    ),
    path("comprobantes/<int:pk>/", outcome.compliance_proof_download, name="compliance_proof_download"),
    # Referral by the office
    path("reclamos/<int:pk>/elevar/", outcome.case_refer, name="case_refer"),
]
