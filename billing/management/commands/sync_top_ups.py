"""Ask the payment provider about top-ups stuck in processing (the beat task does this every 10 minutes)."""
from django.core.management.base import BaseCommand

from billing.services_top_ups import top_ups_sync_processing


class Command(BaseCommand):
    help = "Apply the provider's answer to top-ups still processing after ORBIT['TOP_UP_SYNC_AFTER_MINUTES']."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-minutes", type=int, default=None,
                            help="Only top-ups unchanged for this long (default: the setting).")

    def handle(self, *args, **options):
        result = top_ups_sync_processing(older_than_minutes=options["older_than_minutes"])
        self.stdout.write(f"Checked {result.checked} processing top-up(s): {result.succeeded} succeeded, "
                          f"{result.failed} could not be asked.")
