from django.urls import path

from parties import views

urlpatterns = [
    path("mis-datos/", views.profile, name="profile"),
    path("empresas/", views.company_list, name="company_list"),
    path("empresas/nueva/", views.company_create, name="company_create"),
    path("empresas/<int:pk>/", views.company_detail, name="company_detail"),
    path("empresas/<int:pk>/invitar/", views.company_invite, name="company_invite"),
    path("empresas/<int:pk>/domicilio/", views.company_set_domicile, name="company_set_domicile"),
    path("empresas/<int:pk>/sector/", views.company_set_sector, name="company_set_sector"),
    path("empresas/<int:pk>/poder/", views.power_upload, name="power_upload"),
    path("mis-empresas/", views.my_companies, name="my_companies"),
    path("representaciones/<int:pk>/revocar/", views.representation_revoke, name="representation_revoke"),
    path("invitaciones/<int:pk>/cancelar/", views.invitation_cancel, name="invitation_cancel"),
    path("invitacion/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("personal/", views.staff_list, name="staff_list"),
    path("personal/conciliadores/<int:pk>/", views.conciliator_calendar, name="conciliator_calendar"),
    path("personal/dias-libres/<int:pk>/borrar/", views.day_off_delete, name="day_off_delete"),
]
