"""Wallet: can the organisation pay for each number, and for all of them together? One query.

- purchase: setup + first month (the inventory row's prices) is charged at purchase, so a number
  the wallet cannot pay is blocked, with the amount to top up. When each is affordable but not all
  the numbers to buy together, each is a warning saying how much is missing.
- owned: the next renewal (``paid_until``, at the number's monthly price) is ok when the wallet
  holds it, else a warning (renewals retry during a grace period before a release).
- port_in: Orbit charges no porting fee; the first month is charged when the port completes, and
  a wallet short then defers that charge (the port still completes). Short: a warning.

Amounts in ``details`` are integer cents (``*_cents``); the reasons say dollars.
"""
from __future__ import annotations

from django.conf import settings

from billing.selectors import wallet_for
from inventory.services.renewals import paid_until_of
from orbit_numbers.money import format_dollars
from orbit_numbers.models import Organization

from .base import CheckResult, Status, Target
from .targets import OWNED, PORT_IN, PURCHASE

TOP_UP = "GET /api/v1/billing/balance shows the wallet."


def _first_month_after_port(target: Target) -> int:
    return settings.ORBIT["PORTED_NUMBER_MONTHLY_CENTS"].get(target.line_type, 100)


def _to_buy(target: Target, *, balance: int, total: int, count: int) -> CheckResult:
    row = target.inventory
    cost = row.setup_cents + row.monthly_cents
    details = {"cost_cents": cost, "setup_cents": row.setup_cents, "monthly_cents": row.monthly_cents,
               "balance_cents": balance}
    if cost > balance:
        short = cost - balance
        return CheckResult(
            Status.BLOCKED,
            f"Setup and first month cost {format_dollars(cost)}; the wallet holds {format_dollars(balance)}.",
            f"Top up at least {format_dollars(short)}. {TOP_UP}", {**details, "top_up_cents": short})
    if total > balance:
        short = total - balance
        return CheckResult(
            Status.WARNING,
            f"The wallet covers this number ({format_dollars(cost)}) but not all {count} numbers to buy together "
            f"({format_dollars(total)}): {format_dollars(short)} is missing.",
            f"Top up {format_dollars(short)} to buy them all, or buy fewer. {TOP_UP}",
            {**details, "total_cents": total, "top_up_cents": short})
    return CheckResult(Status.OK, f"The wallet covers setup and first month ({format_dollars(cost)}).", "",
                       {**details, "total_cents": total})


def _renewal(target: Target, *, balance: int) -> CheckResult:
    number = target.owned
    due = paid_until_of(number)
    details = {"monthly_cents": number.monthly_cents, "balance_cents": balance,
               "renews_at": due.strftime("%Y-%m-%dT%H:%M:%SZ")}
    when = due.strftime("%d %b %Y")
    if number.monthly_cents > balance:
        short = number.monthly_cents - balance
        return CheckResult(
            Status.WARNING,
            f"The next renewal ({format_dollars(number.monthly_cents)} on {when}) is more than the wallet holds "
            f"({format_dollars(balance)}).",
            f"Top up at least {format_dollars(short)} before {when}, or the number is released after the grace "
            f"period. {TOP_UP}", {**details, "top_up_cents": short})
    return CheckResult(Status.OK, f"The wallet covers the next renewal ({format_dollars(number.monthly_cents)} "
                                  f"on {when}).", "", details)


def _port(target: Target, *, balance: int, total: int, count: int) -> CheckResult:
    first_month = _first_month_after_port(target)
    details = {"porting_fee_cents": 0, "first_month_cents": first_month, "balance_cents": balance,
               "total_cents": total}
    if first_month > balance:
        what, cost = "this number's first month", first_month
    elif total > balance:
        what, cost = f"the first month of all {count} numbers to port", total
    else:
        return CheckResult(Status.OK, f"No porting fee; the first month ({format_dollars(first_month)}) is charged "
                                      "when the port completes, and the wallet covers it.", "", details)
    short = cost - balance
    return CheckResult(
        Status.WARNING,
        f"No porting fee, but {what} ({format_dollars(cost)}) is charged when the port completes and the wallet "
        f"holds {format_dollars(balance)}.",
        f"Top up {format_dollars(short)} before the port completes, or the charge waits for your next top-up. "
        f"{TOP_UP}", {**details, "top_up_cents": short})


class WalletCheck:
    name = "wallet"

    def evaluate(self, *, organization: Organization, targets: list[Target]) -> dict[str, CheckResult]:
        balance = wallet_for(organization=organization).balance_cents
        buying = [t for t in targets if t.kind == PURCHASE]
        buy_total = sum(t.inventory.setup_cents + t.inventory.monthly_cents for t in buying)
        porting = [t for t in targets if t.kind == PORT_IN]
        port_total = sum(_first_month_after_port(t) for t in porting)
        answers = {}
        for target in targets:
            if target.kind == PURCHASE:
                answers[target.e164] = _to_buy(target, balance=balance, total=buy_total, count=len(buying))
            elif target.kind == OWNED:
                answers[target.e164] = _renewal(target, balance=balance)
            else:
                answers[target.e164] = _port(target, balance=balance, total=port_total, count=len(porting))
        return answers


CHECK = WalletCheck()
