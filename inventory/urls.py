"""Each API module under inventory/api/ owns its own urlpatterns; this file only stitches them."""
from django.urls import include, path

urlpatterns = [
    path("", include("inventory.api.search")),
    path("", include("inventory.api.bulk")),
    path("", include("inventory.api.reservations")),
    path("", include("inventory.api.orders")),
    path("", include("inventory.api.export")),
    path("", include("inventory.api.emergency")),
    path("", include("inventory.api.compliance")),
    path("", include("inventory.api.lifecycle")),
    path("", include("inventory.api.numbers")),
    path("", include("inventory.api.routing")),
    path("", include("inventory.api.caller_id")),
    path("", include("inventory.api.lookup")),
    path("", include("inventory.api.health")),
    path("", include("inventory.api.transfers")),
    path("", include("inventory.api.trial")),
    path("", include("inventory.api.organizations")),
    path("", include("inventory.api.ten_dlc")),
]
