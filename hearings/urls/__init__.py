"""The hearings floor's pages, one module per part (each owned by its views module)."""

from . import guests, homologation, outcome, people, room, scheduling

urlpatterns = [
    *scheduling.urlpatterns,
    *room.urlpatterns,
    *guests.urlpatterns,
    *outcome.urlpatterns,
    *people.urlpatterns,
    *homologation.urlpatterns,
]
