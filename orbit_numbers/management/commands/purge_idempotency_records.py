"""Delete stored Idempotency-Key responses past ORBIT_IDEMPOTENCY_TTL_HOURS (the hourly beat job, by hand)."""
from django.core.management.base import BaseCommand

from orbit_numbers.services import idempotency_records_purge


class Command(BaseCommand):
    help = "Purge idempotency records older than the configured TTL."

    def handle(self, *args, **options):
        self.stdout.write(f"Purged {idempotency_records_purge()} idempotency record(s).")
