"""The operations console: Django's admin with the dashboard panels on its index page."""
from __future__ import annotations

from django.contrib import admin

from . import dashboard


class OrbitAdminSite(admin.AdminSite):
    site_header = "Orbit Numbers operations"
    site_title = "Orbit console"
    index_title = "Operations dashboard"
    index_template = "admin/orbit_index.html"

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "dashboard_panels": dashboard.panels_for(request.user)}
        return super().index(request, extra_context)
