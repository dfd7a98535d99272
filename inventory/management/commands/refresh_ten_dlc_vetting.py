"""Poll the 10DLC registry for brands and campaigns still pending vetting (the beat job, by hand)."""
from django.core.management.base import BaseCommand

from inventory.services.ten_dlc import ten_dlc_vetting_refresh


class Command(BaseCommand):
    help = ("Ask the 10DLC registry where each pending brand and campaign stands (verified or rejected, with "
            "webhooks and mail to the organisation), and submit again those the registry never took.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200,
                            help="at most this many brands and this many campaigns in one run")

    def handle(self, *args, **options):
        if options["limit"] < 1:
            self.stderr.write("--limit must be at least 1")
            return
        result = ten_dlc_vetting_refresh(limit=options["limit"])
        self.stdout.write(f"Polled {result.polled}: {result.verified} verified, {result.rejected} rejected, "
                          f"{result.pending} still pending; {result.errors} error(s).")
