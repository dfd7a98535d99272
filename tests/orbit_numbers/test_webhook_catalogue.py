"""Every event type the code emits is in the catalogue (the one list the API, the schema and the docs
page use): a grep of the emitters' literal event types."""
from __future__ import annotations

import re
from pathlib import Path

from orbit_numbers.webhooks.catalogue import CATALOGUE, EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
LITERAL = re.compile(r'event_type="([a-z0-9_.]+)"')
# webhook_events_emit_many takes (organization, "type", data) tuples.
BATCHED = re.compile(r'\(\s*[\w.]+,\s*"([a-z0-9_]+\.[a-z0-9_]+)",\s*\n?\s*\{')


def emitted_types() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for app in ("orbit_numbers", "billing", "inventory", "porting"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            for name in LITERAL.findall(text) + BATCHED.findall(text):
                found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_emitted_event_type_is_in_the_catalogue():
    found = emitted_types()
    assert {"reservation.expired", "porting.status_changed", "port_out.status_changed", "webhook.test",
            "webhook.endpoint_disabled"} <= set(found)  # the grep sees the emitters
    unknown = {name: where for name, where in found.items() if name not in EVENT_TYPES}
    assert unknown == {}


def test_catalogue_names_are_unique_and_described():
    names = [event.name for event in CATALOGUE]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", name) for name in names)
    assert all(event.description and event.data for event in CATALOGUE)
