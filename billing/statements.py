"""Monthly statements (reads): per organisation and calendar month (UTC), the opening balance,
every ledger line of the month, totals per kind and the closing balance, where
opening + Σ lines = closing always holds (the ledger is a chain). Rendered as data, CSV or PDF."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from datetime import timezone as dt_timezone

from django.db.models import Max, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from orbit_numbers.errors import ValidationFailed
from orbit_numbers.models import Organization
from orbit_numbers.money import format_dollars

from .models import LedgerEntry, Wallet

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
# Spreadsheets run cells starting with these as formulas (same rule as inventory/exporting.py).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Statement:
    organization: Organization
    period: str  # YYYY-MM
    starts_at: datetime
    ends_at: datetime  # exclusive
    currency: str
    opening_balance_cents: int
    closing_balance_cents: int
    lines: list[LedgerEntry]
    totals: dict[str, int] = field(default_factory=dict)  # kind → signed sum, kinds of the month only

    @property
    def credits_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines if line.amount_cents > 0)

    @property
    def debits_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines if line.amount_cents < 0)


def period_bounds(period: str, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """``YYYY-MM`` → [first instant of the month, first instant of the next) in UTC; 422 otherwise
    (and for months that have not begun)."""
    match = _PERIOD.match(period or "") if isinstance(period, str) else None
    year, month = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not match or not 1 <= month <= 12 or year < 2000:
        raise ValidationFailed.field("period", "must be a month as YYYY-MM (2000-01 or later), e.g. 2026-03")
    starts = datetime(year, month, 1, tzinfo=dt_timezone.utc)
    ends = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=dt_timezone.utc)
    if starts > (now or timezone.now()):
        raise ValidationFailed.field("period", "is in the future")
    return starts, ends


def statement_months(*, organization: Organization) -> list[str]:
    """The months (YYYY-MM, newest first) in which the organisation's ledger has entries."""
    months = (LedgerEntry.objects.filter(wallet__organization=organization)
              .annotate(month=TruncMonth("created_at", tzinfo=dt_timezone.utc))
              .values_list("month", flat=True).distinct().order_by("-month"))
    return [month.astimezone(dt_timezone.utc).strftime("%Y-%m") for month in months]


def _entries(organization: Organization) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(wallet__organization=organization)


def statement_build(*, organization: Organization, period: str) -> Statement:
    """The month is the run of ledger numbers between the last entry posted before it and the last
    posted before its end: consecutive months partition the ledger exactly (even if two servers'
    clocks disagreed around midnight), so opening + lines = closing always holds."""
    starts, ends = period_bounds(period)
    wallet = Wallet.objects.filter(organization=organization).first()
    entries = _entries(organization)
    first_after = entries.filter(created_at__lt=starts).aggregate(n=Max("sequence"))["n"] or 0
    last = max(entries.filter(created_at__lt=ends).aggregate(n=Max("sequence"))["n"] or 0, first_after)
    before = entries.filter(sequence=first_after).first() if first_after else None
    opening = before.balance_after_cents if before else 0
    lines = list(entries.filter(sequence__gt=first_after, sequence__lte=last).order_by("sequence"))
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.kind] = totals.get(line.kind, 0) + line.amount_cents
    closing = lines[-1].balance_after_cents if lines else opening
    return Statement(organization=organization, period=period, starts_at=starts, ends_at=ends,
                     currency=wallet.currency if wallet else "USD", opening_balance_cents=opening,
                     closing_balance_cents=closing, lines=lines, totals=totals)


# --- renderings ------------------------------------------------------------------------------------


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _text(value: str) -> str:
    """Free text neutralised for spreadsheets: a leading formula character is quoted."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _iso(moment: datetime) -> str:
    return moment.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z")


CSV_HEADER = ("row", "date", "transaction_id", "type", "description", "reference", "amount", "balance_after")


def statement_csv(statement: Statement) -> str:
    """One table: an ``opening_balance`` row, an ``entry`` row per ledger line, a ``total`` row per
    kind, then ``closing_balance``. Money in dollars (1.50, negative for charges)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerow(("opening_balance", _iso(statement.starts_at), "", "", _text(statement.organization.name),
                     statement.period, "", _money(statement.opening_balance_cents)))
    for line in statement.lines:
        writer.writerow(("entry", _iso(line.created_at), f"txn_{line.sequence}", line.kind, _text(line.description),
                         _text(line.reference), _money(line.amount_cents), _money(line.balance_after_cents)))
    for kind, total in sorted(statement.totals.items()):
        writer.writerow(("total", "", "", kind, "", "", _money(total), ""))
    writer.writerow(("closing_balance", _iso(statement.ends_at), "", "", "", "", "",
                     _money(statement.closing_balance_cents)))
    return out.getvalue()


def _latin1(value: str) -> str:
    # The PDF's built-in fonts cover Latin-1; anything else prints as "?" rather than failing.
    return value.encode("latin-1", "replace").decode("latin-1")


def statement_pdf(statement: Statement) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(f"Statement {statement.period} - {statement.organization.name}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 6, _latin1(f"Organisation {statement.organization.id} - amounts in {statement.currency}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.cell(0, 6, f"Opening balance: {format_dollars(statement.opening_balance_cents)}", new_x="LMARGIN",
             new_y="NEXT")
    widths = (32, 18, 26, 62, 24, 24)
    pdf.set_font("Helvetica", "B", 8)
    for width, title in zip(widths, ("Date (UTC)", "Txn", "Type", "Description", "Amount", "Balance")):
        pdf.cell(width, 6, title, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for line in statement.lines:
        cells = (line.created_at.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M"), f"txn_{line.sequence}",
                 line.kind, _latin1(line.description)[:40], _money(line.amount_cents),
                 _money(line.balance_after_cents))
        for width, value in zip(widths, cells):
            pdf.cell(width, 5, value, border=1)
        pdf.ln()
    pdf.ln(2)
    for kind, total in sorted(statement.totals.items()):
        pdf.cell(0, 5, f"Total {kind}: {_money(total)}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(0, 6, f"Closing balance: {format_dollars(statement.closing_balance_cents)}", new_x="LMARGIN",
             new_y="NEXT")
    return bytes(pdf.output())


def statement_filename(statement: Statement, extension: str) -> str:
    return f"statement-{statement.organization.id}-{statement.period}.{extension}"
