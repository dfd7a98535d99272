"""Charge the monthly fee of every owned number whose cycle has come due (the hourly beat job, by hand).

    manage.py charge_renewals            # charge now
    manage.py charge_renewals --dry-run  # show what would be charged, change nothing
"""
from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from orbit_numbers.money import format_dollars

from ...services import number_renewals_charge


class Command(BaseCommand):
    help = "Charge due monthly renewals; release numbers unpaid past the grace period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="compute and report, then roll everything back")

    def handle(self, *args, **options):
        with transaction.atomic():
            result = number_renewals_charge()
            if options["dry_run"]:
                transaction.set_rollback(True)
        prefix = "Would charge" if options["dry_run"] else "Charged"
        self.stdout.write(
            f"{prefix} {result.cycles_charged} cycle(s) on {result.numbers_charged} number(s) of "
            f"{result.organizations} organisation(s): {format_dollars(result.charged_cents)}.")
        if result.unpaid:
            self.stdout.write(f"Unpaid (wallet short): {', '.join(result.unpaid)}")
        if result.released:
            self.stdout.write(f"Released after the grace period: {', '.join(result.released)}")
