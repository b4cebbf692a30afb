"""The company's desk: its served cases, assignment, bulk actions and assignment rules."""

from django.urls import path

urlpatterns: list = []
