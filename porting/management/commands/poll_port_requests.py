from django.core.management.base import BaseCommand

from porting.services import port_requests_poll


class Command(BaseCommand):
    help = "Re-poll the carriers for every open port-in and port-out (what the beat task does every 5 minutes)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200, help="At most this many requests of each kind.")

    def handle(self, *args, limit: int, **options):
        counts = port_requests_poll(limit=limit)
        self.stdout.write(f"Polled {counts['port_in']} port-in and {counts['port_out']} port-out request(s): "
                          f"{counts['changed']} changed, {counts['errors']} failed.")
