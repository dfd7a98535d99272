"""Money: stored as integer cents everywhere; rendered as dollars (a JSON number) where the documents do."""
from __future__ import annotations


def dollars(cents: int) -> float:
    """Integer cents → dollars as a float rounded to the cent (150 → 1.5, -2599 → -25.99).

    cents / 100 is exact to two places for any amount a wallet can hold (< 2**53 cents)."""
    return round(cents / 100, 2)


def format_dollars(cents: int, currency: str = "USD") -> str:
    """For people (console, mail): 49750 → "$497.50"; other currencies keep their code."""
    sign = "-" if cents < 0 else ""
    amount = f"{abs(cents) // 100:,}.{abs(cents) % 100:02d}"
    return f"{sign}${amount}" if currency == "USD" else f"{sign}{amount} {currency}"
