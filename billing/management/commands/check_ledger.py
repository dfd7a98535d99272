"""Reconcile every wallet with its ledger; a non-zero exit means drift (for cron and CI)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from billing.models import Wallet
from billing.services import ledger_reconcile
from billing.services_top_ups import top_up_reconcile


class Command(BaseCommand):
    help = ("Check that every wallet balance equals the sum of its ledger, the chain is unbroken, and every "
            "succeeded top-up is credited exactly once.")

    def add_arguments(self, parser):
        # Checking is all this command does; --check is accepted so scripts may say so explicitly.
        parser.add_argument("--check", action="store_true", help="Accepted for clarity; checking is the default.")

    def handle(self, *args, **options):
        drifts = ledger_reconcile() + top_up_reconcile()
        wallets = Wallet.objects.count()
        if not drifts:
            self.stdout.write(self.style.SUCCESS(f"Ledger OK: {wallets} wallet(s) reconcile."))
            return
        for drift in drifts:
            self.stdout.write(f"DRIFT wallet {drift.wallet_id} ({drift.organization}): {drift.problem}")
        raise CommandError(f"{len(drifts)} ledger problem(s) in {len({d.wallet_id for d in drifts})} "
                           f"of {wallets} wallet(s).", returncode=1)
