from django.urls import URLPattern, URLResolver, path

from reporting.views import company

urlpatterns: list[URLPattern | URLResolver] = [
    path("empresa/indicadores/", company.company_figures, name="company_figures"),
]
