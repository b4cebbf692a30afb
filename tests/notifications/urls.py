"""The project's URLs with the notifications pages mounted, whether or not config/urls.py has them yet."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("", include("notifications.urls")), *project_urlpatterns]
