from django.urls import path

from hearings.views import reassign

urlpatterns = [
    path("personal/conciliadores/<int:pk>/licencia/", reassign.conciliator_leave, name="conciliator_leave"),
    path("audiencias/sin-conciliador/", reassign.hearings_needing_conciliator, name="hearings_needing_conciliator"),
    path("audiencias/<int:pk>/reasignar/", reassign.hearing_reassign, name="hearing_reassign"),
    path("audiencias/reasignar-dia/", reassign.hearing_reassign_day, name="hearing_reassign_day"),
    path("oficina/carga/", reassign.people_load, name="people_load"),
]
