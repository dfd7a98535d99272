"""Take back expired trial loans and warn those expiring soon (the beat task does this every 15 minutes)."""
from django.core.management.base import BaseCommand

from inventory.services import trial_loans_reclaim_expired


class Command(BaseCommand):
    help = "Reclaim expired trial numbers into the trial pool; warn organisations whose loans expire soon."

    def handle(self, *args, **options):
        result = trial_loans_reclaim_expired()
        self.stdout.write(f"Reclaimed {result['reclaimed']} trial number(s); warned {result['warned']}.")
