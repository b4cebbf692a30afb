"""The hearings floor's pages, one module per part (each owned by its views module)."""

from . import outcome, room, scheduling

urlpatterns = [*scheduling.urlpatterns, *room.urlpatterns, *outcome.urlpatterns]
