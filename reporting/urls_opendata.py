from django.urls import URLPattern, URLResolver, path

from reporting.views import opendata

urlpatterns: list[URLPattern | URLResolver] = [
    path("datos-abiertos/", opendata.open_data, name="open_data"),
    path("datos-abiertos/<int:year>-<int:month>.<str:fmt>", opendata.open_data_file, name="open_data_file"),
]
