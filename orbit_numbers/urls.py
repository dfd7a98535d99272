from django.contrib import admin
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from .api import converters
from .api.handlers import api_aware_400, api_aware_403, api_aware_404, api_aware_500
from .observability.views import metrics_view
from .webhooks.docs import webhooks_docs

register_converter(converters.NumberIdConverter, "number_id")
register_converter(converters.E164Converter, "e164")

urlpatterns = [
    path("admin/", admin.site.urls),
    # Prometheus (staff session or bearer token). /healthz and /readyz: observability/health.py middleware.
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Split: the page loads its init script from ?script instead of inlining it (no inline script under the CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/docs/webhooks/", webhooks_docs, name="webhooks-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    # Porting first: its fixed paths (numbers/porting/…) must win over numbers/<id>.
    path("api/v1/", include("orbit_numbers.files.urls")),
    path("api/v1/", include("orbit_numbers.api.api_keys")),
    path("api/v1/", include("orbit_numbers.webhooks.api")),
    path("api/v1/", include("porting.urls")),
    path("api/v1/", include("billing.urls")),
    path("api/v1/", include("inventory.urls")),
]

handler400 = api_aware_400
handler403 = api_aware_403
handler404 = api_aware_404
handler500 = api_aware_500
