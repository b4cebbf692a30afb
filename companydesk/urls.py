"""The company's desk: its served cases, assignment, bulk actions and assignment rules. Every URL
takes the company's id as `pk`."""

from django.urls import path

from . import views

urlpatterns = [
    path("empresa/<int:pk>/casos/", views.company_desk, name="companydesk_cases"),
    path("empresa/<int:pk>/casos/asignar/", views.company_desk_assign, name="companydesk_assign"),
    path("empresa/<int:pk>/casos/acusar-recibo/", views.company_desk_acknowledge, name="companydesk_acknowledge"),
    path("empresa/<int:pk>/casos/casos.csv", views.company_desk_export_csv, name="companydesk_export_csv"),
    path("empresa/<int:pk>/casos/casos.xlsx", views.company_desk_export_xlsx, name="companydesk_export_xlsx"),
    path("empresa/<int:pk>/reglas/", views.assignment_rules, name="companydesk_rules"),
    path("empresa/<int:pk>/reglas/mover/", views.assignment_rule_move, name="companydesk_rule_move"),
    path("empresa/<int:pk>/reglas/borrar/", views.assignment_rule_delete, name="companydesk_rule_delete"),
]
