from django.urls import path

from .views import dashboard

urlpatterns = [
    path("oficina/indicadores/", dashboard.dashboard, name="dashboard"),
    path("oficina/indicadores/descargar/", dashboard.dashboard_export, name="dashboard_export"),
]
