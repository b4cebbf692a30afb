from django.urls import path

from privacy import views

urlpatterns = [
    path("privacidad/", views.privacy_notice, name="privacy"),
    path("accesibilidad/", views.accessibility, name="accessibility"),
    path("contacto/", views.contact, name="contact"),
    path("mis-datos/privacidad/", views.my_data, name="my_data"),
    path("mis-datos/privacidad/descarga.json", views.my_data_download, name="my_data_download"),
    path("oficina/datos-personales/accesos/", views.access_log, name="access_log"),
    path("oficina/datos-personales/solicitudes/", views.data_request_list, name="data_request_list"),
    path("oficina/datos-personales/solicitudes/<int:pk>/cerrar/", views.data_request_close, name="data_request_close"),
]
