from django.urls import URLPattern, URLResolver, path

from .api import api
from .views import public

# Open to anyone, without logging in: the transparency pages and the read-only JSON API.
urlpatterns: list[URLPattern | URLResolver] = [
    path("transparencia/", public.transparency_home, name="transparency"),
    path("transparencia/empresas/<str:cuit>/", public.transparency_company, name="transparency_company"),
    path("transparencia/sectores/<str:sector>/", public.transparency_sector, name="transparency_sector"),
    path("api/publica/v1/", api.urls),
]
