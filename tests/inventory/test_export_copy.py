"""The COPY path of the exports (PostgreSQL) writes what the Python writer writes, cell by cell, for every
export and every awkward value; JSON is the document ``json.dumps`` wrote row by row before orjson."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone as dt_timezone

import pytest
from django.db import connection

from inventory.exporting import (INVENTORY, OWNED, TENANT, Money, copy_chunks, copy_supported, csv_lines,
                                 export_chunks)
from inventory.filters import OwnedNumberFilterSet, StaffOwnedNumberFilterSet
from inventory.models import OwnedNumber, PhoneNumber

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")

# Free text a spreadsheet would run, CSV's own metacharacters, line breaks, unicode, the empty string.
AWKWARD_TEXT = ["=HYPERLINK(\"http://evil\")", "+44 20", "-1", "@SUM(A1)", "\tTabbed", "\rCarriage",
                'comma, and "quotes"', "line\nbreak", "Zürich – ✓ 東京", "", "plain", "'already quoted", " lead"]
TAG_LISTS = [[], ["vip"], ["a;b", "c"], ["=cmd", "x"], ["-minus"], [f"t{index}" for index in range(9)],
             ["été", "ü"], ["", "after-empty"]]
CAPABILITY_LISTS = [[], ["sms"], ["sms", "mms", "voice", "fax", "whatsapp", "rcs"],
                    ["sms", "mms", "voice", "fax", "whatsapp", "rcs", "sms"], ["voice"]]
WHEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=dt_timezone.utc)


def python_csv(spec, queryset) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(csv_lines(spec, queryset)), newline="")))


def copy_csv(spec, queryset) -> list[list[str]]:
    text = b"".join(copy_chunks(spec, queryset)).decode()
    return list(csv.reader(io.StringIO(text, newline="")))


def reference_json(spec, queryset) -> list[dict]:
    """Today's JSON writer, as it was before orjson."""
    items = [{name: value.dollars if isinstance(value, Money) else value for name, value in zip(spec.header, row)}
             for row in spec.rows(queryset)]
    return json.loads(json.dumps(items, ensure_ascii=False))


def assert_same_cells(python_rows, copy_rows):
    assert copy_rows[0] == python_rows[0], "header"
    assert len(copy_rows) == len(python_rows)
    for line, (expected, got) in enumerate(zip(python_rows, copy_rows)):
        assert len(got) == len(expected), f"line {line}"
        for column, (want, have) in enumerate(zip(expected, got)):
            assert have == want, f"line {line}, column {python_rows[0][column]}: {have!r} != {want!r}"


@pytest.fixture
def awkward(make_org, make_number):
    """Stock and owned numbers holding every awkward value, NULLs and empty lists included."""
    orgs = [make_org(name) for name in ("=Evil, Inc.", '"Quoted" Org', "Ünïcödé Telecom", "-dash co", "Plain")]
    numbers = []
    for index, text in enumerate(AWKWARD_TEXT):
        flags = [bool(index >> bit & 1) for bit in range(4)]
        numbers.append(make_number(
            "US", region=text, area_code="" if index % 3 == 0 else "212", cap_sms=flags[0] or index % 2 == 0,
            cap_mms=flags[1], cap_voice=flags[2], cap_fax=flags[3], sms_two_way=False,
            monthly_cents=[0, 5, 150, 99, 123456789][index % 5], setup_cents=[0, 100, 7][index % 3],
            aging_until=None if index % 2 else WHEN, status=["available", "reserved", "assigned"][index % 3]))
    PhoneNumber.objects.filter(pk=numbers[0].pk).update(created_at=WHEN.replace(microsecond=999999))
    for index, number in enumerate(numbers):
        OwnedNumber.objects.create(
            organization=orgs[index % len(orgs)], phone_number=number, e164=number.e164,
            status=["active", "inactive", "released", "suspended"][index % 4],
            label=AWKWARD_TEXT[-1 - index], tags=TAG_LISTS[index % len(TAG_LISTS)],
            capabilities=CAPABILITY_LISTS[index % len(CAPABILITY_LISTS)],
            monthly_cents=[150, 0, 1, 2599][index % 4], setup_cents=[0, 100][index % 2],
            released_at=WHEN if index % 4 == 2 else None)
    return orgs


def querysets(orgs):
    return [
        (INVENTORY, PhoneNumber.objects.order_by("pk")),
        (OWNED, OwnedNumber.objects.order_by("-created_at", "-pk")),
        (TENANT, OwnedNumber.objects.live().filter(organization=orgs[0]).order_by("-created_at", "-pk")),
        (TENANT, OwnedNumber.objects.live().order_by("-created_at", "-pk")),
    ]


def test_copy_csv_matches_the_python_writer_cell_by_cell(awkward):
    for spec, queryset in querysets(awkward):
        assert copy_supported(queryset)
        python_rows = python_csv(spec, queryset)
        assert len(python_rows) > 1, spec.name
        assert_same_cells(python_rows, copy_csv(spec, queryset))


def test_the_awkward_values_are_really_there(awkward):
    """Guards the test above: the rows hold what it claims to compare."""
    rows = python_csv(OWNED, OwnedNumber.objects.order_by("-created_at", "-pk"))
    header = rows[0]
    cells = {name: {row[header.index(name)] for row in rows[1:]} for name in header}
    assert {"'=HYPERLINK(\"http://evil\")", "'-1", "'\tTabbed", "line\nbreak", ""} <= cells["label"]
    assert {"'=Evil, Inc.", '"Quoted" Org', "'-dash co"} <= cells["organization"]
    assert {"", "a;b;c", "'=cmd;x", ";after-empty", ";".join(f"t{index}" for index in range(9))} <= cells["tags"]
    assert {"", "sms;mms;voice;fax;whatsapp;rcs;sms"} <= cells["capabilities"]
    assert "" in cells["released_at"] and "2026-03-04T05:06:07Z" in cells["released_at"]
    stock = python_csv(INVENTORY, PhoneNumber.objects.order_by("pk"))
    assert stock[1][stock[0].index("created_at")] == "2026-03-04T05:06:07Z"  # 999999 µs: truncated, not rounded
    assert {"0.00", "0.05", "1.50", "1234567.89"} <= {row[stock[0].index("monthly_cost")] for row in stock[1:]}


def test_copy_writes_the_python_bytes_but_for_the_line_ends(awkward):
    """Same quoting too (an empty cell is empty, not ""): only the record terminator differs."""
    queryset = PhoneNumber.objects.filter(region="plain").order_by("pk")
    python = "".join(csv_lines(INVENTORY, queryset)).encode()
    assert b"".join(copy_chunks(INVENTORY, queryset)) == python.replace(b"\r\n", b"\n")


@pytest.mark.parametrize("spec_index", range(4))
def test_json_is_the_document_json_dumps_wrote(awkward, spec_index):
    spec, queryset = querysets(awkward)[spec_index]
    expected = reference_json(spec, queryset)
    assert json.loads(b"".join(export_chunks(spec, queryset, "json"))) == expected
    envelope = json.loads(b"".join(export_chunks(spec, queryset, "json", meta={"request_id": "r-1"})))
    assert envelope == {"data": expected, "meta": {"request_id": "r-1", "count": len(expected)}}


def test_the_filters_values_are_rendered_as_safe_literals(awkward):
    """COPY takes no parameters: quotes, percent signs, backslashes and JSON containment in filter values
    are rendered by psycopg, not pasted in."""
    tricky = "O'Brien 100% \\ \"x\"); DROP TABLE inventory_phonenumber; --"
    number = OwnedNumber.objects.order_by("pk").first()
    OwnedNumber.objects.filter(pk=number.pk).update(label=tricky, tags=["vip", "it's"])
    queryset = OwnedNumber.objects.filter(label=tricky, tags__contains=["it's"],
                                          created_at__gte=WHEN.replace(year=2000)).order_by("pk")
    rows = copy_csv(OWNED, queryset)
    assert [row[0] for row in rows[1:]] == [number.pk]
    assert_same_cells(python_csv(OWNED, queryset), rows)
    assert PhoneNumber.objects.exists()


def test_copy_follows_the_filtersets(awkward):
    staff = StaffOwnedNumberFilterSet({"capabilities": "sms,rcs", "organization": awkward[2].pk},
                                      queryset=OwnedNumber.objects.order_by("-created_at", "-pk"))
    tenant = OwnedNumberFilterSet({"tag": "vip", "country": "us"},
                                  queryset=OwnedNumber.objects.live().order_by("-created_at", "-pk"))
    for spec, filterset in ((OWNED, staff), (TENANT, tenant)):
        assert filterset.is_valid(), filterset.errors
        python_rows = python_csv(spec, filterset.qs)
        assert len(python_rows) > 1
        assert_same_cells(python_rows, copy_csv(spec, filterset.qs))


def test_distinct_querysets_keep_the_python_writer(awkward):
    assert not copy_supported(PhoneNumber.objects.order_by("pk").distinct())


@pytest.mark.django_db(transaction=True)
def test_a_client_going_away_cancels_the_copy_and_leaves_the_connection_usable(make_number):
    template = make_number("US")
    PhoneNumber.objects.bulk_create([
        PhoneNumber(e164=f"+1999{index:07d}", provider="telnyx", provider_ref=f"bulk-{index}", country="US",
                    line_type="local", region="x" * 90, national_number=f"999{index:07d}", monthly_cents=150)
        for index in range(20_000)])
    chunks = copy_chunks(INVENTORY, PhoneNumber.objects.order_by("pk"))
    first = next(chunks)
    assert first.startswith(b"id,number,")
    chunks.close()  # what Django does when the client disconnects mid-download
    assert PhoneNumber.objects.filter(pk=template.pk).exists()
    assert sum(1 for _ in copy_chunks(INVENTORY, PhoneNumber.objects.filter(pk=template.pk))) == 1


def test_the_command_writes_copys_bytes_to_a_binary_stdout(awkward):
    """A real stdout takes the chunks as bytes (no decode and encode of a million lines)."""
    from django.core.management import call_command

    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    call_command("export_numbers", "--scope", "owned", stdout=stdout)
    queryset = OwnedNumber.objects.live().order_by("-created_at", "-pk")
    assert raw.getvalue() == b"".join(copy_chunks(OWNED, queryset))
    assert_same_cells(python_csv(OWNED, queryset), list(csv.reader(io.StringIO(raw.getvalue().decode(), newline=""))))
