"""Poll pending CNAM listings at their carriers and resubmit those the carrier never took (the beat job, by hand)."""
from django.core.management.base import BaseCommand

from inventory.services.caller_id import cnam_listings_refresh


class Command(BaseCommand):
    help = ("Ask the carriers where each pending CNAM listing stands (listed or rejected, with webhooks), and "
            "resubmit the listings a carrier could not take yet; after CNAM_SUBMIT_MAX_ATTEMPTS they fail.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200, help="at most this many listings in one run")

    def handle(self, *args, **options):
        result = cnam_listings_refresh(limit=options["limit"])
        self.stdout.write(
            f"Polled {result.polled}, resubmitted {result.resubmitted}: {result.listed} listed, {result.rejected} "
            f"rejected, {result.failed} failed; {result.errors} error(s).")
