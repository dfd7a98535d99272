"""Load N realistic available numbers (COPY on PostgreSQL), skipping numbers already present."""
from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from inventory.seeding import inventory_seed


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class Command(BaseCommand):
    help = "Generate and load N available numbers valid for their country (fast bulk load)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="How many new numbers to load.")
        parser.add_argument("--countries", type=_csv, default=None, help="Comma-separated ISO codes, e.g. US,GB,DE.")
        parser.add_argument("--line-types", type=_csv, default=None, help="Comma-separated: local,mobile,toll_free.")
        parser.add_argument("--providers", type=_csv, default=None, help="Comma-separated: devotel,telnyx,didww.")
        parser.add_argument("--seed", default="inventory", help="Same seed, same numbers (default: inventory).")
        parser.add_argument("--batch-size", type=int, default=50_000)

    def handle(self, *args, count: int, countries, line_types, providers, seed: str, batch_size: int, **options):
        if count < 1:
            raise CommandError("--count must be a positive integer")
        if batch_size < 1:
            raise CommandError("--batch-size must be a positive integer")
        started = time.monotonic()

        def progress(inserted: int, generated: int) -> None:
            self.stdout.write(f"  {inserted:>10,} loaded ({generated:,} generated) "
                              f"after {time.monotonic() - started:,.1f}s")

        try:
            result = inventory_seed(count=count, countries=countries, line_types=line_types, providers=providers,
                                    seed=seed, batch_size=batch_size,
                                    progress=progress if options["verbosity"] >= 2 or count > batch_size else None)
        except (ValueError, RuntimeError) as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Loaded {result.inserted:,} numbers in {elapsed:,.1f}s ({result.inserted / max(elapsed, 1e-9):,.0f}/s); "
            f"{result.skipped:,} generated numbers already existed and were skipped."))
