from django.urls import include, path

# Each area of the reporting floor keeps its own routes.
urlpatterns = [
    path("", include("reporting.urls_surveys")),
    path("", include("reporting.urls_dashboard")),
    path("", include("reporting.urls_company")),
    path("", include("reporting.urls_public")),
    path("", include("reporting.urls_opendata")),
]
