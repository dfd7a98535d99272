"""Create an API key for an organisation (creating the organisation and wallet if needed),
optionally topping the wallet up. The key is printed once, alone, on the last line."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from billing.models import LedgerEntry
from billing.services import wallet_credit, wallet_get_or_create
from orbit_numbers.errors import ValidationFailed
from orbit_numbers.models import SCOPES
from orbit_numbers.money import format_dollars
from orbit_numbers.services import (api_key_allowlist_validate, api_key_create, organization_get_or_create,
                                    validate_scopes)

MAX_CREDIT = Decimal("1000000.00")


def parse_dollars(raw: str) -> int:
    """'100', '100.5', '100.50' → cents, exactly (Decimal, never float); at most two decimals."""
    try:
        amount = Decimal(raw.strip())
    except (InvalidOperation, AttributeError):
        raise CommandError(f"--credit must be an amount of dollars such as 100.00, not {raw!r}") from None
    if not amount.is_finite():
        raise CommandError(f"--credit must be an amount of dollars such as 100.00, not {raw!r}")
    if amount < 0:
        raise CommandError("--credit must not be negative")
    if amount != amount.quantize(Decimal("0.01")):
        raise CommandError("--credit has more than two decimal places")
    if amount > MAX_CREDIT:
        raise CommandError(f"--credit may be at most {MAX_CREDIT:,} per top-up")
    return int(amount * 100)


class Command(BaseCommand):
    help = "Create an API key (and the organisation and wallet if missing); the key is the last line printed."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organisation name (created if it does not exist).")
        parser.add_argument("--scopes", required=True, help=f"Comma-separated scopes: {','.join(SCOPES)}.")
        parser.add_argument("--credit", default=None, help="Top the wallet up by this many dollars, e.g. 100.00.")
        parser.add_argument("--name", default="default", help="A label for the key.")
        parser.add_argument("--allow-ip", action="append", default=[], dest="allow_ip", metavar="ADDRESS_OR_CIDR",
                            help="Restrict the key to this address or CIDR network (IPv4/IPv6); repeatable. "
                                 "Without it the key works from anywhere.")

    def handle(self, *args, org: str, scopes: str, credit: str | None, name: str, allow_ip: list[str], **options):
        org_name = org.strip()
        if not org_name:
            raise CommandError("--org must not be empty")
        key_name = name.strip()
        if not key_name or len(key_name) > 100:
            raise CommandError("--name must be 1-100 characters")
        try:
            scope_list = validate_scopes([s.strip() for s in scopes.split(",") if s.strip()])
        except ValidationFailed as exc:
            raise CommandError(exc.message) from None
        if not scope_list:
            raise CommandError("--scopes must name at least one scope")
        credit_cents = parse_dollars(credit) if credit is not None else 0
        try:
            ip_allowlist = api_key_allowlist_validate(allow_ip)
        except ValidationFailed as exc:
            raise CommandError(f"--allow-ip {exc.message}") from None

        # All or nothing: no organisation without its key, no key without the requested credit.
        with transaction.atomic():
            organization, created = organization_get_or_create(name=org_name)
            wallet = wallet_get_or_create(organization=organization)
            if credit_cents:
                wallet_credit(organization=organization, amount_cents=credit_cents, kind=LedgerEntry.Kind.TOP_UP,
                              description="Top-up (create_api_key)", reference="manual:create_api_key")
                wallet.refresh_from_db()
            api_key, raw_key = api_key_create(organization=organization, scopes=scope_list, name=key_name,
                                              ip_allowlist=ip_allowlist)

        self.stdout.write(f"Organisation: {organization.name} ({organization.pk}){' [created]' if created else ''}")
        self.stdout.write(f"Wallet balance: {format_dollars(wallet.balance_cents)} {wallet.currency}")
        self.stdout.write(f"API key {api_key.pk} '{api_key.name}' scopes: {','.join(api_key.scopes)}")
        self.stdout.write(f"IP allowlist: {', '.join(api_key.ip_allowlist) or 'none (any address)'}")
        self.stdout.write("Store this key now; it is not shown again:")
        self.stdout.write(raw_key)
