from django.urls import path

from hearings.views import room

urlpatterns = [
    path("audiencias/<int:pk>/", room.hearing_room, name="hearing_room"),
    path("audiencias/<int:pk>/asistencia/informe/", room.hearing_attendance_report, name="hearing_attendance_report"),
    path("audiencias/<int:pk>/asistencia/", room.hearing_attendance_edit, name="hearing_attendance_edit"),
    path(
        "audiencias/<int:pk>/grabacion/consentimiento/",
        room.hearing_recording_consent,
        name="hearing_recording_consent",
    ),
    path("audiencias/<int:pk>/grabacion/", room.hearing_recording_register, name="hearing_recording_register"),
    path("audiencias/grabaciones/<int:pk>/", room.hearing_recording_download, name="hearing_recording_download"),
    # Prosody's event_sync posts to <api_prefix>/events/occupant/joined etc.; the payload names the event.
    path("jitsi/eventos/", room.jitsi_events, name="jitsi_events"),
    path("jitsi/eventos/<path:suffix>", room.jitsi_events, name="jitsi_events_path"),
]
