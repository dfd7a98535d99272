"""Porting routes (mounted under /api/v1/). Included before inventory's, so numbers/porting/… wins over
numbers/<id>; the path converters keep the ids apart too (port_…, pout_…, num_…)."""
from django.urls import include, path, register_converter

from orbit_numbers.api.viewsets import OrbitRouter


class PortRequestIdConverter:
    regex = r"port_[0-9a-z]{20}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class PortOutIdConverter(PortRequestIdConverter):
    regex = r"pout_[0-9a-z]{20}"


register_converter(PortRequestIdConverter, "port_request_id")
register_converter(PortOutIdConverter, "port_out_id")

from .api import NumberPortingViewSet, PortOutViewSet, PortRequestViewSet  # noqa: E402  (after the converters)

router = OrbitRouter()
router.register("numbers/porting/out", PortOutViewSet, basename="porting-out")
router.register("numbers/porting", PortRequestViewSet, basename="porting")
router.register("numbers", NumberPortingViewSet, basename="number")
urlpatterns = router.urls + [path("", include("porting.api_readiness"))]
