"""The company API (/api/v1/, api/company_api.py) and the company administrator's pages for keys
and webhooks (api/views/)."""

from django.urls import path

urlpatterns: list = []
