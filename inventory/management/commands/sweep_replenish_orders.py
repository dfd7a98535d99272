"""Retry replenish orders whose task was lost and fail the ones stuck at the carrier call (the job
Celery beat runs as sweep-replenish-orders)."""
from django.core.management.base import BaseCommand

from ...services.replenish import replenish_orders_sweep


class Command(BaseCommand):
    help = "Fill pending auto-replenish orders whose task was lost; fail orders stuck while ordering."

    def handle(self, *args, **options):
        result = replenish_orders_sweep()
        self.stdout.write(f"{result['retried']} pending order(s) retried, {result['failed_stuck']} stuck order(s) "
                          f"failed.")
