from django.apps import AppConfig


class PortingConfig(AppConfig):
    name = "porting"

    def ready(self) -> None:
        from . import dashboard

        dashboard.register_panels()
