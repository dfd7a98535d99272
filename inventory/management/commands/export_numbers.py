"""Export numbers as CSV or JSON to a file or stdout, streamed (constant memory).

    manage.py export_numbers --format csv --country US --status available --output stock.csv
    manage.py export_numbers --format json --org "Acme" --status active     # one customer's numbers
    manage.py export_numbers --scope owned --capabilities sms,voice --tag support

The filters are the FilterSets of inventory/filters.py, the ones the API and the console use:
``InventoryFilterSet`` for the stock, ``StaffOwnedNumberFilterSet`` for customers' numbers. On
PostgreSQL a CSV is PostgreSQL's COPY of the filtered query (inventory/exporting.py).
"""
from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from ...exporting import FORMATS, INVENTORY, OWNED, export_chunks
from ...filters import InventoryFilterSet, StaffOwnedNumberFilterSet
from ...models import LineType, OwnedNumber, PhoneNumber, Provider

# command-line option → FilterSet parameter
_INVENTORY_OPTIONS = {"country": "country", "status": "status", "line_type": "type", "provider": "provider"}
_OWNED_OPTIONS = {**_INVENTORY_OPTIONS, "org": "organization", "capabilities": "capabilities", "tag": "tag"}
_OWNED_ONLY = ("org", "capabilities", "tag")


class Command(BaseCommand):
    help = "Export the number inventory, or customers' numbers (--scope owned / --org), as CSV or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--scope", choices=("inventory", "owned"),
                            help="inventory (default): the carrier stock; owned: customers' numbers (live ones "
                                 "unless --status released). --org, --capabilities and --tag imply owned.")
        parser.add_argument("--country", help="ISO alpha-2, e.g. US")
        parser.add_argument("--status", help="inventory: available|reserved|assigned; owned: "
                                             + "|".join(OwnedNumber.Status.values))
        parser.add_argument("--type", dest="line_type", choices=LineType.values)
        parser.add_argument("--provider", choices=Provider.values)
        parser.add_argument("--org", help="organisation id or exact name")
        parser.add_argument("--capabilities", help="owned: comma-separated, every one enabled, e.g. sms,voice")
        parser.add_argument("--tag", help="owned: numbers carrying this tag")
        parser.add_argument("--output", help="file to write (default: stdout)")

    def handle(self, *args, **options):
        owned_only = [name for name in _OWNED_ONLY if options[name]]
        scope = options["scope"] or ("owned" if owned_only else "inventory")
        if scope == "inventory":
            if owned_only:
                raise CommandError(f"--{owned_only[0]} selects customers' numbers: it cannot be combined with "
                                   "--scope inventory.")
            spec, filterset_class, names = INVENTORY, InventoryFilterSet, _INVENTORY_OPTIONS
            queryset = PhoneNumber.objects.order_by("pk")
        else:
            spec, filterset_class, names = OWNED, StaffOwnedNumberFilterSet, _OWNED_OPTIONS
            # Live numbers only, unless released ones are asked for by status.
            queryset = OwnedNumber.objects.all() if options["status"] else OwnedNumber.objects.live()
            queryset = queryset.order_by("-created_at", "-pk")
        data = {param: options[option] for option, param in names.items() if options[option]}
        filterset = filterset_class(data, queryset=queryset)
        if not filterset.is_valid():
            raise CommandError("; ".join(f"--{_option(names, param)}: {' '.join(messages)}"
                                         for param, messages in filterset.errors.items()))

        chunks = export_chunks(spec, filterset.qs, options["format"])
        if options["output"]:
            with open(options["output"], "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            self.stderr.write(f"Wrote {options['output']}")
        else:
            out = getattr(self.stdout, "_out", sys.stdout)
            binary = getattr(out, "buffer", None)
            if binary is not None:  # a real stdout takes the bytes as they come
                out.flush()
                for chunk in chunks:
                    binary.write(chunk)
                binary.flush()
            else:
                for chunk in chunks:  # every chunk ends on a whole row, so each decodes on its own
                    out.write(chunk.decode())
                out.flush()


def _option(names: dict[str, str], param: str) -> str:
    option = next((option for option, name in names.items() if name == param), param)
    return {"line_type": "type"}.get(option, option)
