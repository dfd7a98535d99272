"""Billing API routes (mounted under /api/v1/)."""
from .api.statements import urlpatterns as _statements
from .api.top_ups import urlpatterns as _top_ups
from .api.views import urlpatterns as _wallet
from .api.wallet_settings import urlpatterns as _settings

urlpatterns = [*_wallet, *_top_ups, *_statements, *_settings]
