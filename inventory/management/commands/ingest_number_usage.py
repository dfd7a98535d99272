"""Load daily usage counters from the switch/CDR feed (CSV), across organisations.

    manage.py ingest_number_usage usage-2026-03-01.csv
    manage.py ingest_number_usage - --organization "Acme Telecom" < usage.csv

The header names the columns: ``date`` (YYYY-MM-DD, UTC), ``phone_number`` (E.164) or ``number_id``,
and any of the counters (messages_sent, messages_delivered, messages_failed, calls_placed,
calls_answered, complaints, spam_flags). An empty cell leaves that counter as stored. Valid lines
are stored (the API's merge rule: a line replaces the counters it carries); every rejected line is
reported with its reasons, and the command exits 1 when there was any.
"""
from __future__ import annotations

import csv
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from orbit_numbers.models import Organization

from ...models import USAGE_COUNTERS, NumberUsageDay
from ...services.health import USAGE_MAX_RECORDS, UsageRecord, number_usage_ingest

KEY_COLUMNS = ("phone_number", "number_id")


def parse_line(line_number: int, row: dict[str, str]) -> tuple[UsageRecord | None, dict[str, str]]:
    """A CSV row → a record, or the reasons it cannot be one."""
    problems: dict[str, str] = {}
    if None in row:
        problems["line"] = "more cells than the header has columns"
    raw_day = (row.get("date") or "").strip()
    try:
        day = date.fromisoformat(raw_day)
        if len(raw_day) != 10:
            raise ValueError(raw_day)
    except ValueError:
        day = None
        problems["date"] = f"must be a date YYYY-MM-DD, not {raw_day!r}"
    counters = {}
    for name in USAGE_COUNTERS:
        cell = (row.get(name) or "").strip()
        if not cell:
            continue
        if not cell.isascii() or not cell.isdigit():
            problems[name] = f"must be a whole number from 0, not {cell!r}"
            continue
        counters[name] = int(cell)
    number_id = (row.get("number_id") or "").strip() or None
    phone_number = (row.get("phone_number") or "").strip() or None
    if problems:
        return None, problems
    return UsageRecord(ref=f"line {line_number}", day=day, counters=counters, number_id=number_id,
                       phone_number=phone_number), {}


class Command(BaseCommand):
    help = "Ingest daily usage counters of customers' numbers from a CSV feed (FILE, or - for stdin)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV path, or - to read standard input")
        parser.add_argument("--organization", help="only accept this organisation's numbers (id or exact name)")

    def handle(self, *args, file: str, organization: str | None = None, **options):
        org = None
        if organization:
            org = Organization.objects.filter(Q(pk=organization) | Q(name=organization)).first()
            if org is None:
                raise CommandError(f"No organisation with id or name {organization!r}.")
        try:
            stream = sys.stdin if file == "-" else open(file, newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        with stream:
            reader = csv.DictReader(stream)
            header = reader.fieldnames or []
            unknown = sorted(set(header) - {"date", *KEY_COLUMNS, *USAGE_COUNTERS})
            if "date" not in header or not set(KEY_COLUMNS) & set(header) or unknown:
                raise CommandError("The header must name date, phone_number or number_id, and counters among "
                                   f"{', '.join(USAGE_COUNTERS)}" + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
            totals = {"lines": 0, "created": 0, "replaced": 0}
            rejected: dict[str, dict[str, str]] = {}
            seen: dict[tuple[str, date], int] = {}
            batch: list[UsageRecord] = []
            try:
                for row in reader:
                    totals["lines"] += 1
                    record, problems = parse_line(reader.line_num, row)
                    if record is not None:
                        key = (record.number_id or record.phone_number or "", record.day)
                        if key in seen:
                            problems = {"date": f"this number and day are already on line {seen[key]}"}
                        else:
                            seen[key] = reader.line_num
                    if problems:
                        rejected[f"line {reader.line_num}"] = problems
                        continue
                    batch.append(record)
                    if len(batch) == USAGE_MAX_RECORDS:
                        self._ingest(batch, org, totals, rejected)
                        batch = []
            except (csv.Error, UnicodeDecodeError) as exc:
                raise CommandError(f"Line {reader.line_num}: not a readable CSV line ({exc}).") from None
            if batch:
                self._ingest(batch, org, totals, rejected)
        for ref, problems in rejected.items():
            reasons = "; ".join(f"{name}: {message}" for name, message in problems.items())
            self.stderr.write(f"{ref}: {reasons}")
        stored = totals["created"] + totals["replaced"]
        self.stdout.write(f"Read {totals['lines']} line(s): {stored} stored ({totals['created']} new, "
                          f"{totals['replaced']} replaced), {len(rejected)} rejected.")
        if rejected:
            sys.exit(1)

    @staticmethod
    def _ingest(batch, organization, totals, rejected) -> None:
        result = number_usage_ingest(records=batch, organization=organization, source=NumberUsageDay.Source.FEED,
                                     partial=True)
        totals["created"] += result.created
        totals["replaced"] += result.replaced
        rejected.update(result.rejected)
