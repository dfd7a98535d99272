"""Every event type the code emits is in the catalogue (orbit_numbers/webhooks/catalogue.py), which
the Webhooks API validates filters against and the docs page lists."""
from __future__ import annotations

import re
from pathlib import Path

from orbit_numbers.webhooks.catalogue import CATALOGUE, EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
# The ways the sources name an event: event_type="number.released", and the (number, "number.x", data)
# tuples that batch emitters collect before emitting.
_EMITTED = (re.compile(r"""event_type\s*=\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']"""),
            re.compile(r"""events\.append\(\(\s*\w+\s*,\s*["']([a-z0-9_]+\.[a-z0-9_.]+)["']"""))


def emitted_event_types() -> set[str]:
    names = set()
    for app in ("orbit_numbers", "billing", "inventory", "porting"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            for pattern in _EMITTED:
                names |= set(pattern.findall(text))
    return names


def test_every_emitted_event_type_is_catalogued():
    emitted = emitted_event_types()
    assert {"number.ported", "compliance.approved", "number.reputation_dropped"} <= emitted  # the scan finds them
    # low_stock.* go to the staff webhook (ORBIT["LOW_STOCK_WEBHOOK_URL"]), not to tenants.
    unknown = sorted(name for name in emitted if name not in EVENT_TYPES and not name.startswith("low_stock."))
    assert not unknown, f"emitted but not in the catalogue: {unknown}"


def test_the_issue_names_are_catalogued():
    for name in ("number.purchased", "number.released", "number.renewed", "number.renewal_failed",
                 "number.suspended", "number.ported", "reservation.expired", "porting.status_changed",
                 "port_out.status_changed", "compliance.approved"):
        assert name in EVENT_TYPES


def test_catalogue_names_are_unique_and_described():
    names = [event.name for event in CATALOGUE]
    assert len(names) == len(set(names))
    assert all(event.description and event.data for event in CATALOGUE)
