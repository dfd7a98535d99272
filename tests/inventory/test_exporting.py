"""Exports: the console's filtered changelists, the tenant API and the management command all
stream every matching row (not a page) through inventory/exporting.py."""
from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from inventory.exporting import INVENTORY, csv_lines
from inventory.models import OwnedNumber, PhoneNumber
from inventory.services import number_purchase, number_release
from orbit_numbers.models import AuditLog
from tests.inventory.compliance_support import ensure_covered
from tests.staff import make_staff, superuser_client  # noqa: F401

NUMBERS = "/admin/inventory/phonenumber/"
OWNED = "/admin/inventory/ownednumber/"


def body(response) -> str:
    assert response.streaming, "exports must stream"
    return b"".join(response.streaming_content).decode()


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def buy(org, row, **changes):
    ensure_covered(org, row.country, row.line_type)
    number = number_purchase(organization=org, phone_number=row.e164, country_code=row.country)
    if changes:
        OwnedNumber.objects.filter(pk=number.pk).update(**changes)
    return number


# --- console ----------------------------------------------------------------------------------------


def test_console_csv_export_has_every_filtered_row_not_just_the_page(superuser_client, make_number):
    wanted = {make_number("US").e164 for _ in range(65)}  # more than one 50-row page
    make_number("GB")
    make_number("US", status="reserved")

    page = superuser_client.get(NUMBERS, {"country": "US", "status__exact": "available"})
    assert len(page.context["cl"].result_list) == 50
    assert 'id="export-csv"' in page.content.decode()
    response = superuser_client.get(NUMBERS + "export/csv/", {"country": "US", "status__exact": "available"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(body(response))
    assert {row["number"] for row in rows} == wanted
    assert rows[0]["monthly_cost"] == "1.50" and rows[0]["capabilities"] == "sms;mms;voice"
    assert AuditLog.objects.get(action="admin.export").after["format"] == "csv"


def test_console_export_respects_the_search(superuser_client, make_number):
    target = make_number("US", e164="+12015550123")
    make_number("US", e164="+12015550177")
    data = json.loads(body(superuser_client.get(NUMBERS + "export/json/", {"q": "555-0123"})))
    assert [item["number"] for item in data] == [target.e164]
    assert data[0]["monthly_cost"] == 1.5 and data[0]["capabilities"] == ["sms", "mms", "voice"]


def test_owned_numbers_json_export_follows_the_filters(superuser_client, make_org, make_number):
    acme, globex = make_org("Acme Co", credit_cents=50_00), make_org("Globex", credit_cents=50_00)
    mine = [buy(acme, make_number("US")) for _ in range(3)]
    buy(globex, make_number("US"))
    response = superuser_client.get(OWNED + "export/json/", {"organization__id__exact": acme.pk})
    data = json.loads(body(response))
    assert sorted(item["id"] for item in data) == sorted(number.pk for number in mine)
    assert {item["organization"] for item in data} == {"Acme Co"}


def test_export_needs_the_export_permission(make_staff, make_number):
    make_number("US")
    client = make_staff("porting-ops")
    page = client.get(NUMBERS)
    assert page.status_code == 200 and 'id="export-csv"' not in page.content.decode()
    assert client.get(NUMBERS + "export/csv/").status_code == 403
    assert make_staff("support").get(NUMBERS + "export/csv/").status_code == 200


def test_unknown_console_format_is_404(superuser_client):
    assert superuser_client.get(NUMBERS + "export/xml/").status_code == 404


def test_csv_defuses_formulas_in_free_text_only(superuser_client, org, make_number):
    buy(org, make_number("US"), label="=HYPERLINK(\"http://evil\")")
    rows = csv_rows(body(superuser_client.get(OWNED + "export/csv/")))
    assert rows[0]["label"].startswith("'=")
    assert rows[0]["number"].startswith("+1")  # numbers keep their plus sign


def test_export_streams_in_chunks_from_a_cursor(make_number, django_assert_max_num_queries):
    for _ in range(30):
        make_number("US")
    lines = csv_lines(INVENTORY, PhoneNumber.objects.order_by("pk"))
    with django_assert_max_num_queries(3):
        assert sum(1 for _ in lines) == 31


# --- tenant API ---------------------------------------------------------------------------------------


def test_api_export_csv_lists_only_my_live_numbers(client, org, make_org, make_number):
    mine = [buy(org, make_number("US")) for _ in range(3)]
    released = buy(org, make_number("US"))
    number_release(organization=org, number_id=released.pk)
    buy(make_org("Other", credit_cents=50_00), make_number("US"))

    response = client.get("/api/v1/numbers/export", {"format": "csv"})

    assert response.status_code == 200, response.content
    assert response["X-Request-Id"] and response["X-RateLimit-Limit"]
    rows = csv_rows(body(response))
    assert sorted(row["id"] for row in rows) == sorted(number.pk for number in mine)
    assert rows[0]["monthly_cost"] == "1.50"


def test_api_export_json_uses_the_envelope_and_list_filters(client, org, make_number):
    us = buy(org, make_number("US"), tags=["vip"])
    buy(org, make_number("US"), tags=["other"])
    buy(org, make_number("GB"), tags=["vip"])
    buy(org, make_number("US", "toll_free"), tags=["vip"])

    response = client.get("/api/v1/numbers/export", {"format": "json", "country": "us", "type": "local",
                                                     "status": "active", "tag": "vip"})

    assert response.status_code == 200
    payload = json.loads(body(response))
    assert [item["id"] for item in payload["data"]] == [us.pk]
    assert payload["meta"]["count"] == 1 and payload["meta"]["request_id"] == response["X-Request-Id"]
    item = payload["data"][0]
    assert item["number"] == us.e164 and item["monthly_cost"] == 1.5 and item["tags"] == ["vip"]


def test_api_export_capability_filter(client, org, make_number):
    with_sms = buy(org, make_number("US"))
    buy(org, make_number("US"), capabilities=["voice"])
    payload = json.loads(body(client.get("/api/v1/numbers/export", {"format": "json", "capabilities": "sms"})))
    assert [item["id"] for item in payload["data"]] == [with_sms.pk]


@pytest.mark.parametrize("params, field", [
    ({"format": "xml"}, "format"),
    ({"format": "csv", "status": "released"}, "status"),
    ({"format": "csv", "country": "XX"}, "country"),
    ({"format": "csv", "type": "short_code"}, "type"),
    ({"format": "csv", "capabilities": "telepathy"}, "capabilities"),
    ({"format": "csv", "tag": "Not A Slug"}, "tag"),
    ({"format": "csv", "limit": "5"}, "limit"),
])
def test_api_export_rejects_bad_parameters_with_422(client, params, field):
    response = client.get("/api/v1/numbers/export", params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in error["details"]


def test_api_export_defaults_to_csv(client, org, make_number):
    buy(org, make_number("US"))
    response = client.get("/api/v1/numbers/export")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_api_export_needs_numbers_read(make_client, org):
    assert make_client(org, ["billing:read"]).get("/api/v1/numbers/export").status_code == 403
    from rest_framework.test import APIClient

    response = APIClient().get("/api/v1/numbers/export", {"format": "csv"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "UNAUTHORIZED"


# --- management command ------------------------------------------------------------------------------


def test_command_exports_filtered_inventory_to_a_file(make_number, tmp_path):
    wanted = {make_number("US", provider="didww").e164 for _ in range(5)}
    make_number("US", provider="telnyx")
    make_number("GB", provider="didww")
    output = tmp_path / "stock.csv"

    call_command("export_numbers", "--format", "csv", "--country", "us", "--provider", "didww",
                 "--status", "available", "--output", str(output), stderr=io.StringIO())

    assert {row["number"] for row in csv_rows(output.read_text())} == wanted


def test_command_exports_one_organisations_numbers_as_json(org, make_org, make_number):
    mine = buy(org, make_number("US"))
    buy(make_org("Other", credit_cents=50_00), make_number("US"))
    out = io.StringIO()
    call_command("export_numbers", "--format", "json", "--org", org.name, stdout=out)
    assert [item["id"] for item in json.loads(out.getvalue())] == [mine.pk]


@pytest.mark.parametrize("args", [
    ["--org", "nobody"],
    ["--scope", "inventory", "--org", "x"],
    ["--status", "active"],
    ["--scope", "owned", "--status", "available"],
])
def test_command_rejects_bad_arguments(db, args):
    with pytest.raises(CommandError):
        call_command("export_numbers", *args, stdout=io.StringIO())


# --- one FilterSet per kind of export, on every face ------------------------------------------------


def test_command_filters_customers_numbers_like_the_api(org, make_org, make_number):
    vip = buy(org, make_number("US"), tags=["vip"], capabilities=["sms", "voice", "whatsapp"])
    buy(org, make_number("US"), tags=["vip"], capabilities=["voice"])
    buy(make_org("Other", credit_cents=50_00), make_number("US"), tags=["other"], capabilities=["sms", "whatsapp"])
    out = io.StringIO()
    call_command("export_numbers", "--format", "json", "--tag", "vip", "--capabilities", "whatsapp,sms", stdout=out)
    assert [item["id"] for item in json.loads(out.getvalue())] == [vip.pk]


def test_command_exports_released_numbers_only_when_asked(org, make_number):
    live = buy(org, make_number("US"))
    gone = buy(org, make_number("US"))
    number_release(organization=org, number_id=gone.pk)

    def exported(*args):
        out = io.StringIO()
        call_command("export_numbers", "--format", "json", "--scope", "owned", *args, stdout=out)
        return [item["id"] for item in json.loads(out.getvalue())]

    assert exported() == [live.pk]
    assert exported("--status", "released") == [gone.pk]
    assert exported("--org", org.pk, "--status", "active") == [live.pk]


@pytest.mark.parametrize("args, words", [
    (["--country", "XX"], "--country"),
    (["--scope", "owned", "--capabilities", "telepathy"], "--capabilities"),
    (["--tag", "Not A Slug"], "--tag"),
    (["--scope", "inventory", "--tag", "vip"], "--tag"),
    (["--scope", "owned", "--type", "mobile", "--org", "nobody"], "--org"),
])
def test_command_names_the_option_it_refuses(db, args, words):
    with pytest.raises(CommandError, match=words):
        call_command("export_numbers", *args, stdout=io.StringIO())


def test_console_capability_filter_and_its_export(superuser_client, org, make_number):
    whatsapp = buy(org, make_number("US"), capabilities=["sms", "whatsapp"])
    buy(org, make_number("US"), capabilities=["sms"])
    page = superuser_client.get(OWNED, {"capabilities": "whatsapp"})
    assert list(page.context["cl"].result_list) == [whatsapp]
    assert "export/csv/?capabilities=whatsapp" in page.content.decode()
    data = json.loads(body(superuser_client.get(OWNED + "export/json/", {"capabilities": "whatsapp"})))
    assert [item["id"] for item in data] == [whatsapp.pk]


def test_console_filters_validate_through_the_filterset(superuser_client, org, make_number):
    buy(org, make_number("US"))
    assert len(superuser_client.get(OWNED, {"phone_number__country": "us"}).context["cl"].result_list) == 1
    for url in (OWNED, OWNED + "export/csv/"):
        response = superuser_client.get(url, {"phone_number__country": "XX"})
        assert response.status_code == 302 and response["Location"].endswith("?e=1"), url
    assert superuser_client.get(NUMBERS, {"country": "Mars"}).status_code == 302
