from django.urls import path

from hearings.views import guests

urlpatterns = [
    path("audiencias/<int:pk>/invitados/", guests.hearing_guests, name="hearing_guests"),
    path("audiencias/invitados/<int:pk>/retirar/", guests.hearing_guest_revoke, name="hearing_guest_revoke"),
    # The guest's personal link: no account, the key is the credential (only its SHA-256 is stored).
    path("audiencias/invitado/<str:key>/", guests.hearing_guest_room, name="hearing_guest_room"),
]
