"""Release carrier orders nobody owns and retry pending carrier releases (the beat job, by hand)."""
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from inventory.services.reconciliation import carrier_orders_reconcile


class Command(BaseCommand):
    help = ("Compare each carrier's recent number orders with our owners: orders nobody owns (a process "
            "died between the carrier order and our commit) are released, an owner that recorded no order "
            "adopts it; then every due carrier release is performed.")

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=48, help="how far back to list carrier orders")

    def handle(self, *args, **options):
        result = carrier_orders_reconcile(since=timezone.now() - timedelta(hours=options["hours"]))
        self.stdout.write(
            f"Holds expired: {result.holds_expired}. Carrier orders checked: {result.orders_seen}; "
            f"orphaned: {len(result.orphaned)}, adopted: {len(result.adopted)}, still in flight: "
            f"{len(result.in_flight)}. Releases attempted: {result.releases.get('attempted', 0)}, "
            f"confirmed: {result.releases.get('released', 0)}.")
        if result.unsupported:
            self.stdout.write(f"Cannot list orders (reconcile by hand): {', '.join(result.unsupported)}.")
        for provider, message in result.errors.items():
            self.stderr.write(f"{provider}: {message}")
