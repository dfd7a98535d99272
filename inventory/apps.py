from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self) -> None:
        from . import dashboard, metrics

        dashboard.register_panels()
        metrics.register_gauges()
