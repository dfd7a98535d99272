from django.core.management.base import BaseCommand

from porting.services import port_dispatch_claims_sweep


class Command(BaseCommand):
    help = ("Settle port requests left claimed for a carrier call by a process that died (what the beat task "
            "does every 5 minutes): recover, re-send or withdraw each, as porting/services/stale_dispatch.py says.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=100, help="At most this many requests of each kind.")

    def handle(self, *args, limit: int, **options):
        counts = port_dispatch_claims_sweep(limit=limit)
        self.stdout.write(", ".join(f"{name} {count}" for name, count in counts.items()))
