"""Deliver due webhooks now (the same job Celery beat runs every minute: deliver-due-webhooks)."""
from django.core.management.base import BaseCommand

from ...webhooks.services import webhooks_deliver_due


class Command(BaseCommand):
    help = ("Disable webhook endpoints failing for longer than WEBHOOK_DISABLE_AFTER_DAYS (telling their "
            "organisations), then attempt every due webhook delivery.")

    def handle(self, *args, **options):
        result = webhooks_deliver_due()
        self.stdout.write(f"{result['attempted']} delivery attempt(s); {result['disabled']} endpoint(s) disabled.")
