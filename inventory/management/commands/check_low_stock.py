"""Check every low-stock threshold now (the same job Celery beat runs every 15 minutes)."""
from django.core.management.base import BaseCommand

from ...services.stock import low_stock_check


class Command(BaseCommand):
    help = "Refresh pool figures, open alerts for breached low-stock thresholds and resolve recovered ones."

    def handle(self, *args, **options):
        result = low_stock_check()
        self.stdout.write(f"Checked {result.checked} threshold(s): {len(result.opened)} alert(s) opened, "
                          f"{len(result.resolved)} resolved, {len(result.still_open)} still open.")
