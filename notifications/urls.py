from django.urls import path

from notifications import bounce_views, twilio_views, views

urlpatterns = [
    path("bandeja/", views.inbox, name="inbox"),
    path("bandeja/<int:pk>/", views.inbox_detail, name="inbox_detail"),
    path("bandeja/marcar-leidas/", views.inbox_mark_all_read, name="inbox_mark_all_read"),
    path("notificaciones/fallidas/", views.notification_failures, name="notification_failures"),
    path("notificaciones/<int:pk>/reintentar/", views.notification_retry, name="notification_retry"),
    # Providers' reports: Twilio's signed status callbacks and incoming WhatsApp messages; e-mail bounces.
    path("notificaciones/twilio/estado/", twilio_views.status_callback, name="twilio_status_callback"),
    path("notificaciones/twilio/entrante/", twilio_views.inbound_message, name="twilio_inbound_message"),
    path("notificaciones/rebotes/", bounce_views.bounce_report, name="bounce_report"),
    path("notificaciones/direcciones-rebotadas/", bounce_views.bounced_addresses, name="bounced_addresses"),
    path(
        "notificaciones/direcciones-rebotadas/<int:pk>/liberar/",
        bounce_views.bounced_address_clear,
        name="bounced_address_clear",
    ),
    path("cedulas/", views.formal_notice_list, name="formal_notice_list"),
    path("cedulas/<int:pk>/", views.formal_notice_detail, name="formal_notice_detail"),
    path("cedulas/<int:pk>/documento/", views.formal_notice_document, name="formal_notice_document"),
]
