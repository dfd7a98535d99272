"""Sync the synced pools from their carriers now (the job Celery beat runs as sync-carrier-inventory)."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ...services.inventory_sync import inventory_sync


class Command(BaseCommand):
    help = ("Add numbers the carriers offer, reprice available ones and retire the ones they no longer offer, "
            "for every active synced pool (console: Inventory sync pools).")

    def add_arguments(self, parser):
        parser.add_argument("--provider", help="Only this carrier (devotel, telnyx, didww).")
        parser.add_argument("--country", help="Only pools of this country (ISO 3166-1 alpha-2).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Read the carriers' listings and report what would change; write nothing.")

    def handle(self, *args, provider=None, country=None, dry_run=False, **options):
        if provider and provider not in settings.ORBIT["PROVIDER_BACKENDS"]:
            raise CommandError(f"unknown provider {provider!r}; known: "
                               f"{', '.join(sorted(settings.ORBIT['PROVIDER_BACKENDS']))}")
        if country and (len(country) != 2 or not country.isalpha()):
            raise CommandError(f"--country takes an ISO 3166-1 alpha-2 code, not {country!r}")
        results = inventory_sync(provider=provider, country=country, dry_run=dry_run)
        prefix = "[dry run] would have: " if dry_run else ""
        for r in results:
            self.stdout.write(f"{r.provider} {r.country} {r.line_type}: {r.status}; {prefix}{r.offered} offered, "
                              f"{r.added} added, {r.revived} revived, {r.updated} repriced, {r.retired} retired"
                              + (f"; {'; '.join(r.errors)}" if r.errors else ""))
        if not results:
            self.stdout.write("No active synced pools match.")
