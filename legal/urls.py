from django.urls import path

from . import views

urlpatterns = [
    path("juridica/", views.proceeding_queue, name="legal_queue"),
    path("juridica/<int:pk>/", views.proceeding_detail, name="legal_proceeding"),
    path("juridica/<int:pk>/recibir/", views.proceeding_receive, name="legal_receive"),
    path("juridica/<int:pk>/imputar/", views.proceeding_charge, name="legal_charge"),
    path("juridica/<int:pk>/archivar/", views.proceeding_archive, name="legal_archive"),
    path("juridica/<int:pk>/descargo/", views.proceeding_defence, name="legal_defence"),
    path("juridica/<int:pk>/descargo.pdf", views.defence_file, name="legal_defence_file"),
    path("juridica/<int:pk>/resolver/", views.proceeding_resolve, name="legal_resolve"),
    path("juridica/<int:pk>/recurso/", views.proceeding_appeal, name="legal_appeal"),
    path("juridica/<int:pk>/firme/", views.proceeding_finalize, name="legal_finalize"),
    path("juridica/<int:pk>/resultado-recurso/", views.proceeding_decide_appeal, name="legal_decide_appeal"),
    path("juridica/<int:pk>/expediente.pdf", views.referral_file, name="legal_referral_file"),
]
