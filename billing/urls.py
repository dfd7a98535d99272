"""Billing API routes (mounted under /api/v1/)."""
from django.urls import include, path

urlpatterns = [
    path("", include("billing.api.views")),
]
