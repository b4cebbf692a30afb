from django.urls import path

from complaints.views import allocation, assisted, case_file, evidence, filing, office, receipt, representatives
from complaints.views import duplicates as duplicate_views
from complaints.views import paper as paper_views

urlpatterns = [
    # Filing (consumer; officer for assisted filing)
    path("reclamos/nuevo/", filing.complaint_new, name="complaint_new"),
    path("reclamos/<int:pk>/paso/<int:step>/", filing.complaint_step, name="complaint_step"),
    path("reclamos/<int:pk>/pruebas/", evidence.evidence_upload, name="evidence_upload"),
    path("pruebas/<int:pk>/borrar/", evidence.evidence_delete, name="evidence_delete"),
    path("reclamos/<int:pk>/enviar/", filing.complaint_submit, name="complaint_submit"),
    path("reclamos/<int:pk>/reenviar/", filing.complaint_resubmit, name="complaint_resubmit"),
    path("reclamos/<int:pk>/constancia/", receipt.complaint_receipt, name="complaint_receipt"),
    path("reclamos/<int:pk>/constancia.pdf", receipt.complaint_receipt_pdf, name="complaint_receipt_pdf"),
    path("empresas/buscar/", filing.company_lookup, name="company_lookup"),
    path("oficina/reclamos/asistido/", assisted.assisted_filing, name="assisted_filing"),
    # The case file, for everyone who may see it
    path("reclamos/", case_file.complaint_list, name="complaint_list"),
    path("reclamos/<int:pk>/", case_file.complaint_detail, name="complaint_detail"),
    path("reclamos/<int:pk>/expediente.pdf", case_file.complaint_export_pdf, name="complaint_export_pdf"),
    path("pruebas/<int:pk>/", case_file.evidence_download, name="evidence_download"),
    path("reclamos/<int:pk>/desistir/", case_file.complaint_withdraw, name="complaint_withdraw"),
    path("reclamos/<int:pk>/respuesta/", case_file.company_answer, name="company_answer"),
    path("reclamos/<int:pk>/ofertas/", case_file.offer_make, name="offer_make"),
    path("ofertas/<int:pk>/aceptar/", case_file.offer_accept, name="offer_accept"),
    path("ofertas/<int:pk>/rechazar/", case_file.offer_reject, name="offer_reject"),
    # Powers and the consumer's representative
    path("oficina/poderes/", representatives.power_queue, name="power_queue"),
    path("poderes/<int:pk>/", representatives.power_document, name="power_document"),
    path("poderes/<int:pk>/decidir/", representatives.power_decide, name="power_decide"),
    path("reclamos/<int:pk>/representante/", representatives.consumer_rep_name, name="consumer_rep_name"),
    path("representantes/<int:pk>/poder/", representatives.consumer_rep_document, name="consumer_rep_document"),
    path("representantes/<int:pk>/decidir/", representatives.consumer_rep_decide, name="consumer_rep_decide"),
    path("representantes/<int:pk>/revocar/", representatives.consumer_rep_revoke, name="consumer_rep_revoke"),
    # The office
    path("oficina/admision/", office.admission_queue, name="admission_queue"),
    path("oficina/admision/asignar/", allocation.admission_assign, name="admission_assign"),
    path("oficina/admision/tomar/", allocation.admission_take_next, name="admission_take_next"),
    path("oficina/admision/repartir/", allocation.admission_balance, name="admission_balance"),
    path("reclamos/<int:pk>/admitir/", office.complaint_admit, name="complaint_admit"),
    path("reclamos/<int:pk>/observar/", office.complaint_observe, name="complaint_observe"),
    path("reclamos/<int:pk>/rechazar/", office.complaint_reject, name="complaint_reject"),
    # Serving on paper the companies without an electronic domicile (the office)
    path("oficina/notificaciones-en-papel/", paper_views.paper_service_list, name="paper_service_list"),
    path("oficina/partes/<int:pk>/papel/", paper_views.paper_part, name="paper_part"),
    path("oficina/partes/<int:pk>/papel/imprimir/", paper_views.paper_notice_print, name="paper_notice_print"),
    path("oficina/partes/<int:pk>/papel/despacho/", paper_views.paper_notice_dispatch, name="paper_notice_dispatch"),
    path("oficina/partes/<int:pk>/papel/entrega/", paper_views.paper_notice_deliver, name="paper_notice_deliver"),
    path("oficina/partes/<int:pk>/papel/fallida/", paper_views.paper_notice_fail, name="paper_notice_fail"),
    path("oficina/cedulas/<int:pk>/cedula.pdf", paper_views.paper_notice_document, name="paper_notice_document"),
    path("reclamos/<int:pk>/derivar/", office.complaint_refer_out, name="complaint_refer_out"),
    path("reclamos/<int:pk>/hipervulnerable/", office.complaint_vulnerable, name="complaint_vulnerable"),
    # A complaint flagged as a possible duplicate of an earlier one (the office decides)
    path("reclamos/<int:pk>/duplicado/unir/", duplicate_views.duplicate_join_view, name="duplicate_join"),
    path("reclamos/<int:pk>/duplicado/rechazar/", duplicate_views.duplicate_reject_view, name="duplicate_reject"),
    path("reclamos/<int:pk>/duplicado/descartar/", duplicate_views.duplicate_dismiss_view, name="duplicate_dismiss"),
]
