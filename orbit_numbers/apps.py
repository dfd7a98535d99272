from django.apps import AppConfig


class OrbitNumbersConfig(AppConfig):
    name = "orbit_numbers"
    verbose_name = "Organisations, keys and audit"
