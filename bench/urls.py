"""The project's addresses and the bench's bare and signed-in inserts (served only under bench.settings)."""

from django.urls import path

from bench import views
from config.urls import handler500
from config.urls import urlpatterns as project_urlpatterns

__all__ = ["handler500", "urlpatterns"]

urlpatterns = [
    path("bench/insert/", views.bare_insert, name="bench_bare_insert"),
    path("bench/signed-in-insert/", views.signed_in_insert, name="bench_signed_in_insert"),
    *project_urlpatterns,
]
