"""Mark approved compliance profiles past valid_until expired (the beat task does this every hour)."""
from django.core.management.base import BaseCommand

from inventory.services import compliance_profiles_expire


class Command(BaseCommand):
    help = "Mark approved compliance profiles whose valid_until has passed as expired."

    def handle(self, *args, **options):
        expired = compliance_profiles_expire()
        self.stdout.write(f"Expired {len(expired)} compliance profile(s)." + (f" {', '.join(expired)}" if expired else ""))
