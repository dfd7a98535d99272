from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        from . import dashboard, metrics

        dashboard.register_panels()
        metrics.register_gauges()
