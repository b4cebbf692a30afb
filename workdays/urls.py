from django.urls import path

from workdays import views

urlpatterns = [
    path("oficina/calendario-habil/", views.office_calendar, name="office_calendar"),
    path("oficina/calendario-habil/declarar/", views.non_working_day_declare, name="non_working_day_declare"),
    path("oficina/calendario-habil/<int:pk>/quitar/", views.non_working_day_remove, name="non_working_day_remove"),
]
