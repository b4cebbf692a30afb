from django.urls import path

from notifications import views

urlpatterns = [
    path("bandeja/", views.inbox, name="inbox"),
    path("bandeja/<int:pk>/", views.inbox_detail, name="inbox_detail"),
    path("bandeja/marcar-leidas/", views.inbox_mark_all_read, name="inbox_mark_all_read"),
    path("notificaciones/fallidas/", views.notification_failures, name="notification_failures"),
    path("notificaciones/<int:pk>/reintentar/", views.notification_retry, name="notification_retry"),
    path("cedulas/", views.formal_notice_list, name="formal_notice_list"),
    path("cedulas/<int:pk>/", views.formal_notice_detail, name="formal_notice_detail"),
    path("cedulas/<int:pk>/documento/", views.formal_notice_document, name="formal_notice_document"),
]
