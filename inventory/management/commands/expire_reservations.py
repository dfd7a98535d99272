"""Return expired bulk-reservation holds to inventory (the beat task does this every minute)."""
from django.core.management.base import BaseCommand

from inventory.services import reservations_expire


class Command(BaseCommand):
    help = "Expire bulk reservations past their hold and put their numbers back on sale."

    def handle(self, *args, **options):
        self.stdout.write(f"Expired {reservations_expire()} reservation(s).")
