from django.apps import AppConfig


class OrbitNumbersConfig(AppConfig):
    name = "orbit_numbers"
    verbose_name = "Organisations, keys and audit"

    def ready(self) -> None:
        from . import client_ip  # noqa: F401  registers the ORBIT_TRUSTED_PROXIES system check
        from .api import schema  # noqa: F401  registers the OpenAPI auth extension
        from .observability import celery_metrics, kernel_gauges

        celery_metrics.connect_signals()
        kernel_gauges.register_gauges()
