from django.contrib.admin.apps import AdminConfig


class OrbitAdminConfig(AdminConfig):
    """Replaces django.contrib.admin in INSTALLED_APPS so admin.site is the operations console."""

    default_site = "orbit_numbers.admin_site.OrbitAdminSite"
