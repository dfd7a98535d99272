"""Re-read the spam labels of the live US/CA voice numbers checked longest ago (the beat job, by hand)."""
from django.core.management.base import BaseCommand

from inventory.services.caller_id import spam_labels_sweep


class Command(BaseCommand):
    help = ("Ask the analytics carriers how they label the live US/CA voice numbers checked longest ago "
            "(never checked first), and record what changed.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200, help="at most this many numbers in one run")

    def handle(self, *args, **options):
        counts = spam_labels_sweep(limit=options["limit"])
        self.stdout.write(f"Checked {counts['checked']} number(s), {counts['flagged']} flagged; "
                          f"{counts['errors']} error(s).")
