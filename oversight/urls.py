from django.urls import path

from . import views

urlpatterns = [
    path("oficina/plazos/", views.clock_list, name="clock_list"),
]
