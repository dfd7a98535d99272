"""Idempotent demo data for `make run`; prints the staff login, fresh API keys and curl examples."""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from orbit_numbers.money import format_dollars
from inventory.demo import DEMO_NUMBERS, STAFF_PASSWORD, STAFF_USERNAME, demo_seed


class Command(BaseCommand):
    help = "Seed demo inventory, organisations, wallets and a staff user; print fresh API keys."

    def add_arguments(self, parser):
        parser.add_argument("--numbers", type=int, default=DEMO_NUMBERS,
                            help=f"Make sure the inventory holds at least this many numbers (default {DEMO_NUMBERS}).")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="Where the server listens.")

    def handle(self, *args, numbers: int, base_url: str, **options):
        base = base_url.rstrip("/")
        result = demo_seed(numbers=max(0, numbers))
        out = self.stdout.write
        rule = "=" * 78
        out(rule)
        out(self.style.SUCCESS("Orbit Numbers demo is ready"))
        out(f"Inventory: {result.available:,} numbers available ({result.numbers.inserted:,} loaded now).")
        out("")
        out(f"Staff console (Django admin): {base}/admin/")
        if result.staff_password_is_default:
            out(f"  username: {STAFF_USERNAME}   password: {STAFF_PASSWORD}")
        else:
            out(f"  username: {STAFF_USERNAME}   password: (changed by you; reset with "
                f"`python manage.py changepassword {STAFF_USERNAME}`)")
        out(f"API docs: {base}/api/docs/   OpenAPI schema: {base}/api/v1/schema/")
        out("")
        out("Fresh API keys (all scopes; shown once; earlier keys stay valid until revoked in the admin):")
        for key in result.keys:
            out(f"  {key.organization.name:<14} wallet {format_dollars(key.balance_cents)}   {key.raw_key}")
        first = result.keys[0].raw_key
        number = result.sample_number or "+14155550100"
        out("")
        out("Try it:")
        out(f'  export ORBIT_KEY="{first}"')
        out(f'  curl -s {base}/api/v1/billing/balance -H "X-API-Key: $ORBIT_KEY"')
        out(f'  curl -s "{base}/api/v1/numbers/available?country=US&type=local&limit=5" -H "X-API-Key: $ORBIT_KEY"')
        out(f"  curl -s -X POST {base}/api/v1/numbers/purchase -H \"X-API-Key: $ORBIT_KEY\" \\")
        out('       -H "Content-Type: application/json" -H "Idempotency-Key: purchase-$(date +%s)" \\')
        body = json.dumps({"phone_number": number, "country_code": "US", "capabilities": ["sms", "voice"]})
        out(f"       -d '{body}'")
        out(f'  curl -s "{base}/api/v1/numbers?limit=10" -H "X-API-Key: $ORBIT_KEY"')
        out(f'  curl -s "{base}/api/v1/billing/transactions?limit=10" -H "X-API-Key: $ORBIT_KEY"')
        out(rule)
