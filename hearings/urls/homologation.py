from django.urls import path

from hearings.views import homologation

urlpatterns = [
    path("oficina/homologaciones/", homologation.homologation_queue, name="homologation_queue"),
    path("oficina/homologaciones/delegados/", homologation.delegation_list, name="homologation_delegation"),
    path(
        "oficina/homologaciones/delegados/<int:pk>/",
        homologation.delegation_toggle,
        name="homologation_delegation_toggle",
    ),
    path("reclamos/<int:pk>/disposicion.pdf", homologation.disposition_download, name="disposition_download"),
    path("cuotas/<int:pk>/respuesta/", homologation.instalment_answer, name="instalment_answer"),
    path("cuotas/<int:pk>/comprobante/", homologation.instalment_proof_upload, name="instalment_proof_upload"),
    path("cuotas/<int:pk>/comprobante.pdf", homologation.instalment_proof_download, name="instalment_proof_download"),
]
