from django.urls import path

from hearings.views import room

urlpatterns = [
    path("audiencias/<int:pk>/", room.hearing_room, name="hearing_room"),
]
