from django.urls import path

from hearings.views import scheduling

urlpatterns = [
    path("reclamos/<int:pk>/audiencia/", scheduling.hearing_schedule, name="hearing_schedule"),
    path("audiencias/", scheduling.hearing_list, name="hearing_list"),
    path("audiencias/<int:pk>/reprogramar/", scheduling.hearing_reschedule, name="hearing_reschedule"),
    path("audiencias/<int:pk>/cancelar/", scheduling.hearing_cancel, name="hearing_cancel"),
    path("audiencias/<int:pk>/audiencia.ics", scheduling.hearing_ics, name="hearing_ics"),
    path("calendario/", scheduling.hearing_calendar, name="hearing_calendar"),
]
