"""Export numbers as CSV or JSON to a file or stdout, streamed (constant memory).

    manage.py export_numbers --format csv --country US --status available --output stock.csv
    manage.py export_numbers --format json --org "Acme" --status active     # one customer's numbers
"""
from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from orbit_numbers.models import Organization

from ...exporting import FORMATS, INVENTORY, OWNED, export_chunks
from ...selectors import inventory_numbers_list, owned_numbers_list
from ...models import InventoryStatus, LineType, OwnedNumber, Provider


class Command(BaseCommand):
    help = "Export the number inventory, or customers' numbers (--scope owned / --org), as CSV or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--scope", choices=("inventory", "owned"),
                            help="inventory (default): the carrier stock; owned: customers' live numbers. "
                                 "--org implies owned.")
        parser.add_argument("--country", help="ISO alpha-2, e.g. US")
        parser.add_argument("--status", help="inventory: available|reserved|assigned; owned: "
                                             + "|".join(OwnedNumber.Status.values))
        parser.add_argument("--type", dest="line_type", choices=LineType.values)
        parser.add_argument("--provider", choices=Provider.values)
        parser.add_argument("--org", help="organisation id or exact name")
        parser.add_argument("--output", help="file to write (default: stdout)")

    def handle(self, *args, **options):
        scope = options["scope"] or ("owned" if options["org"] else "inventory")
        country = (options["country"] or "").upper() or None
        status = options["status"]
        if scope == "inventory":
            if options["org"]:
                raise CommandError("--org selects customers' numbers: it cannot be combined with --scope inventory.")
            if status and status not in InventoryStatus.values:
                raise CommandError(f"--status for inventory is one of {', '.join(InventoryStatus.values)}.")
            spec = INVENTORY
            queryset = inventory_numbers_list(country=country, status=status, line_type=options["line_type"],
                                              provider=options["provider"])
        else:
            if status and status not in OwnedNumber.Status.values:
                raise CommandError(f"--status for owned numbers is one of {', '.join(OwnedNumber.Status.values)}.")
            organization = None
            if options["org"]:
                organization = Organization.objects.filter(Q(pk=options["org"]) | Q(name=options["org"])).first()
                if organization is None:
                    raise CommandError(f"No organisation with id or name {options['org']!r}.")
            spec = OWNED
            queryset = owned_numbers_list(organization=organization, country=country, status=status,
                                          line_type=options["line_type"], provider=options["provider"],
                                          include_released=status == OwnedNumber.Status.RELEASED,
                                          ).order_by("-created_at", "-pk")

        chunks = export_chunks(spec, queryset, options["format"])
        if options["output"]:
            with open(options["output"], "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            self.stderr.write(f"Wrote {options['output']}")
        else:
            out = getattr(self.stdout, "_out", sys.stdout)
            for chunk in chunks:
                out.write(chunk.decode())
            out.flush()
