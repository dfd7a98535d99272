"""Billing API routes (mounted under /api/v1/)."""
from .api.views import urlpatterns  # noqa: F401  (the router's routes)
