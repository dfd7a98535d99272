from django.apps import AppConfig


class PortingConfig(AppConfig):
    name = "porting"

    def ready(self) -> None:
        from inventory.services import renewal_listener_register

        from . import dashboard
        from .services.deferred_charges import port_requests_settle_deferred

        dashboard.register_panels()
        # The renewal run that collects a deferred first month settles the port request with it.
        renewal_listener_register(port_requests_settle_deferred)
