"""Release the numbers whose scheduled release time has come (the beat job release-scheduled-numbers, by hand).

    manage.py release_scheduled
"""
from django.core.management.base import BaseCommand

from inventory.services.lifecycle import numbers_release_scheduled


class Command(BaseCommand):
    help = "Release every number whose release_at has come (carrier release, audit, webhook and mail)."

    def handle(self, *args, **options):
        result = numbers_release_scheduled()
        self.stdout.write(f"Released {len(result.released)} scheduled number(s)."
                          + (f" {', '.join(result.released)}" if result.released else ""))
        if result.failed_batches:
            self.stderr.write("A batch failed and was rolled back (see the log); the next run retries it.")
