from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"

    def ready(self) -> None:
        from billing.listeners import wallet_credit_listener_register

        from . import dashboard, metrics
        from .services.lifecycle import renewals_retry_on_credit

        dashboard.register_panels()
        metrics.register_gauges()
        # A credit retries the organisation's unpaid renewals at once (suspended numbers come back).
        wallet_credit_listener_register(renewals_retry_on_credit)
