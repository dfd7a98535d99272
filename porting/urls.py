"""Porting routes. Included before inventory's, so numbers/porting/… wins over numbers/<id>."""
from django.urls import path, register_converter

from . import api


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

urlpatterns = [
    path("numbers/porting/check", api.PortabilityCheckView.as_view(), name="porting-check"),
    path("numbers/porting", api.PortRequestListView.as_view(), name="porting-list"),
    path("numbers/porting/out", api.PortOutListView.as_view(), name="porting-out-list"),
    path("numbers/porting/out/<port_out_id:port_out_id>", api.PortOutDetailView.as_view(), name="porting-out-detail"),
    path("numbers/porting/out/<port_out_id:port_out_id>/refresh", api.PortOutRefreshView.as_view(),
         name="porting-out-refresh"),
    path("numbers/porting/<port_request_id:port_request_id>", api.PortRequestDetailView.as_view(),
         name="porting-detail"),
    path("numbers/porting/<port_request_id:port_request_id>/loa", api.PortRequestLoaView.as_view(),
         name="porting-loa"),
    path("numbers/porting/<port_request_id:port_request_id>/loa/sign", api.PortRequestLoaSignView.as_view(),
         name="porting-loa-sign"),
    path("numbers/porting/<port_request_id:port_request_id>/timeline", api.PortRequestTimelineView.as_view(),
         name="porting-timeline"),
    path("numbers/porting/<port_request_id:port_request_id>/refresh", api.PortRequestRefreshView.as_view(),
         name="porting-refresh"),
    path("numbers/porting/<port_request_id:port_request_id>/supplement", api.PortRequestSupplementView.as_view(),
         name="porting-supplement"),
    path("numbers/<number_id:number_id>/port-out", api.NumberPortOutView.as_view(), name="number-port-out"),
    path("numbers/<number_id:number_id>/port-out-protection", api.PortOutProtectionView.as_view(),
         name="number-port-out-protection"),
]
