"""Queue again the E911 provisioning requests that have not moved for a while (the beat job, by hand)."""
from django.core.management.base import BaseCommand

from inventory.services.emergency import emergency_provisioning_recheck


class Command(BaseCommand):
    help = ("Queue again every E911 address provisioning still in flight after EMERGENCY_RECHECK_MINUTES "
            "(a task lost with its worker, or a carrier still registering the address).")

    def handle(self, *args, **options):
        queued = emergency_provisioning_recheck()
        self.stdout.write(f"Queued {queued} E911 provisioning request(s) again.")
