"""Carrier inventory sync: new offers added page by page, prices followed, rows the carrier no
longer lists retired — only available, unheld, unowned ones, only after a complete listing, at most
the per-run cap — every run recorded; dry run and the command."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from inventory import tasks
from inventory.models import (BulkReservation, BulkReservationItem, CarrierFailure, InventorySyncPool,
                              InventorySyncRun, OwnedNumber, PhoneNumber)
from inventory.providers.base import CarrierAdapter
from inventory.providers.simulator import SimulatorAdapter
from inventory.services.inventory_sync import inventory_pool_sync, inventory_sync
from orbit_numbers.models import AuditLog
from tests.inventory.sync_support import ScriptedCarrier, install, offers_for

pytestmark = pytest.mark.django_db


def sync(**kwargs):
    return inventory_pool_sync(provider=kwargs.pop("provider", "telnyx"), country=kwargs.pop("country", "US"),
                               line_type=kwargs.pop("line_type", "local"), **kwargs)


def listed(*rows):
    """Offers for existing rows, as the carrier lists them."""
    return [_offer_of(row) for row in rows]


def _offer_of(row, **changes):
    from dataclasses import replace

    from tests.inventory.sync_support import offer

    listed = offer(row.e164, monthly_cents=changes.get("monthly_cents", row.monthly_cents),
                   setup_cents=changes.get("setup_cents", row.setup_cents))
    return replace(listed, provider_ref=changes.get("provider_ref", row.provider_ref))


def status_of(row) -> str:
    return PhoneNumber.objects.get(pk=row.pk).status


def test_adds_every_page_of_new_offers_and_records_the_run(monkeypatch):
    first, second = offers_for(count=3), offers_for(count=2, skip=3)
    carrier = install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[first, second]))

    result = sync()

    assert carrier.page_calls == 2
    assert (result.status, result.pages, result.offered, result.added) == ("ok", 2, 5, 5)
    rows = PhoneNumber.objects.filter(e164__in=[o.e164 for o in first + second])
    assert rows.count() == 5
    assert set(rows.values_list("status", "provider", "monthly_cents", "setup_cents")) == {
        ("available", "telnyx", 100, 50)}
    run = InventorySyncRun.objects.get(pk=result.run_id)
    assert (run.provider, run.country, run.line_type, run.status) == ("telnyx", "US", "local", "ok")
    assert (run.offered, run.added, run.updated, run.retired) == (5, 5, 0, 0)
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert AuditLog.objects.filter(action="inventory_sync.run", object_id=str(run.pk)).exists()


def test_a_second_run_adds_nothing_twice(monkeypatch):
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[offers_for(count=4)]))
    assert sync().added == 4
    again = sync()
    assert (again.added, again.updated, again.retired) == (0, 0, 0)
    assert PhoneNumber.objects.count() == 4


def test_offers_outside_the_pool_are_ignored(monkeypatch):
    pool = offers_for(count=2)
    mobile = offers_for("US", "mobile", count=1, skip=50)
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[pool + mobile]))
    result = sync()
    assert (result.offered, result.added) == (2, 2)
    assert not PhoneNumber.objects.filter(line_type="mobile").exists()


def test_updates_the_price_of_available_rows_only(monkeypatch, make_number):
    available = make_number(e164="+12015550001", monthly_cents=100, setup_cents=50)
    reserved = make_number(e164="+12015550002", monthly_cents=100, setup_cents=50, status="reserved")
    unchanged = make_number(e164="+12015550003", monthly_cents=100, setup_cents=50)
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[[
        _offer_of(available, monthly_cents=130, setup_cents=0), _offer_of(reserved, monthly_cents=130),
        _offer_of(unchanged)]]))

    result = sync()

    assert result.updated == 1
    available.refresh_from_db()
    reserved.refresh_from_db()
    assert (available.monthly_cents, available.setup_cents) == (130, 0)
    assert reserved.monthly_cents == 100
    assert AuditLog.objects.get(action="inventory_sync.apply").after["changed_numbers"] == [available.e164]


def test_retires_only_available_unheld_unowned_rows_the_carrier_stopped_offering(monkeypatch, make_number, org):
    now = timezone.now()
    kept = make_number(e164="+12015550010")
    gone = make_number(e164="+12015550011")
    reserved = make_number(e164="+12015550012", status="reserved")
    assigned = make_number(e164="+12015550013", status="assigned")
    OwnedNumber.objects.create(organization=org, phone_number=assigned, e164=assigned.e164, monthly_cents=100)
    aging = make_number(e164="+12015550014", aging_until=now + timedelta(days=10))
    stocked = make_number(e164="+12015550015", stock_order_id="ord-1")
    held = make_number(e164="+12015550016")
    hold = BulkReservation.objects.create(organization=org, status="ready", quantity_requested=1,
                                          quantity_reserved=1, expires_at=now + timedelta(minutes=15))
    BulkReservationItem.objects.create(reservation=hold, phone_number=held, e164=held.e164, provider="telnyx",
                                       provider_ref=held.provider_ref, monthly_cents=100)
    other_carrier = make_number(e164="+12015550017", provider="didww")
    other_type = make_number("US", "mobile", e164="+12015550018")
    other_country = make_number("CA", e164="+12042345678")
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[listed(kept)]))

    result = sync()

    assert (result.status, result.retired) == ("ok", 1)
    gone.refresh_from_db()
    assert gone.status == "retired" and gone.retired_at is not None
    assert not PhoneNumber.objects.sellable().filter(pk=gone.pk).exists()
    retire_audit = AuditLog.objects.get(action="inventory_sync.retire", object_id="telnyx:US:local")
    assert retire_audit.after["numbers"] == [gone.e164]
    assert status_of(kept) == "available"
    for row, status in ((reserved, "reserved"), (assigned, "assigned"), (aging, "available"),
                        (stocked, "available"), (held, "available"), (other_carrier, "available"),
                        (other_type, "available"), (other_country, "available")):
        assert status_of(row) == status, row.e164


def test_follows_the_carriers_new_id_for_an_offer(monkeypatch, make_number):
    row = make_number(e164="+12015550004", provider_ref="old-id")
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[[_offer_of(row, provider_ref="new-id")]]))
    assert sync().updated == 1
    row.refresh_from_db()
    assert row.provider_ref == "new-id"


def test_a_retired_number_offered_again_comes_back_on_sale(monkeypatch, make_number):
    row = make_number(e164="+12015550020", status="retired", retired_at=timezone.now(), monthly_cents=100)
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[[_offer_of(row, monthly_cents=90)]]))
    result = sync()
    assert result.revived == 1
    row.refresh_from_db()
    assert (row.status, row.retired_at, row.monthly_cents) == ("available", None, 90)


def test_a_carrier_error_retires_nothing_and_is_recorded(monkeypatch, make_number):
    rows = [make_number(e164=f"+1201555003{i}") for i in range(3)]
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[offers_for(count=2, skip=100), []],
                                                           fail_on_page=2))

    result = sync()

    assert result.status == "failed" and result.retired == 0
    assert result.added == 2  # what the carrier did list is still added
    assert all(status_of(row) == "available" for row in rows)
    run = InventorySyncRun.objects.get(pk=result.run_id)
    assert run.status == "failed" and "listing unavailable" in run.errors
    assert CarrierFailure.objects.filter(provider="telnyx", operation="inventory_sync").exists()


def test_an_empty_failing_carrier_retires_nothing(monkeypatch, make_number):
    row = make_number(e164="+12015550040")
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[[]], fail_on_page=1))
    assert sync().status == "failed"
    assert status_of(row) == "available"


class UnpagedCarrier(ScriptedCarrier):
    """Only the base interface's search: the default page says whether the search was cut."""

    search_inventory_page = CarrierAdapter.search_inventory_page


def test_a_truncated_listing_retires_nothing(monkeypatch, make_number, settings):
    settings.ORBIT = {**settings.ORBIT, "INVENTORY_SYNC_PAGE_SIZE": 3}
    row = make_number(e164="+12015550050")
    install(monkeypatch, "inventory_sync", UnpagedCarrier(pages=[offers_for(count=5, skip=200)]))

    result = sync()

    assert result.status == "incomplete" and result.retired == 0
    assert result.added == 3
    assert status_of(row) == "available"
    assert "cut at 3" in InventorySyncRun.objects.get(pk=result.run_id).errors


def test_an_unpaged_listing_below_the_page_size_is_complete(monkeypatch, make_number, settings):
    settings.ORBIT = {**settings.ORBIT, "INVENTORY_SYNC_PAGE_SIZE": 10}
    row = make_number(e164="+12015550051")
    install(monkeypatch, "inventory_sync", UnpagedCarrier(pages=[offers_for(count=2, skip=200)]))
    result = sync()
    assert (result.status, result.retired) == ("ok", 1)
    assert status_of(row) == "retired"


def test_a_listing_longer_than_the_page_limit_retires_nothing(monkeypatch, make_number, settings):
    settings.ORBIT = {**settings.ORBIT, "INVENTORY_SYNC_MAX_PAGES": 2}
    row = make_number(e164="+12015550060")
    pages = [offers_for(count=1, skip=300 + i) for i in range(3)]
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=pages))
    result = sync()
    assert (result.status, result.pages, result.retired) == ("incomplete", 2, 0)
    assert status_of(row) == "available"


def test_retirements_are_capped_per_run(monkeypatch, make_number, settings):
    settings.ORBIT = {**settings.ORBIT, "INVENTORY_SYNC_MAX_RETIRE_PER_RUN": 2}
    rows = [make_number(e164=f"+1201555007{i}") for i in range(5)]
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[[]]))

    first = sync()
    assert (first.retired, first.retire_deferred) == (2, 3)
    assert sum(status_of(row) == "retired" for row in rows) == 2
    assert "per-run cap" in InventorySyncRun.objects.get(pk=first.run_id).errors
    second = sync()
    assert (second.retired, second.retire_deferred) == (2, 1)
    assert sync().retired == 1
    assert all(status_of(row) == "retired" for row in rows)


def test_dry_run_counts_but_writes_nothing(monkeypatch, make_number):
    priced = make_number(e164="+12015550080", monthly_cents=100)
    gone = make_number(e164="+12015550081")
    new = offers_for(count=2, skip=400)
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[new + [_offer_of(priced, monthly_cents=200)]]))

    result = sync(dry_run=True)

    assert (result.added, result.updated, result.retired, result.run_id) == (2, 1, 1, None)
    assert not InventorySyncRun.objects.exists()
    assert not PhoneNumber.objects.filter(e164__in=[o.e164 for o in new]).exists()
    priced.refresh_from_db()
    assert priced.monthly_cents == 100
    assert status_of(gone) == "available"


def test_an_adapter_bug_fails_the_run_without_retiring(monkeypatch, make_number):
    row = make_number(e164="+12015550045")

    class Broken(ScriptedCarrier):
        def search_inventory_page(self, **kwargs):
            raise KeyError("data")

    install(monkeypatch, "inventory_sync", Broken())
    result = sync()
    assert (result.status, result.retired) == ("failed", 0)
    assert status_of(row) == "available"


def test_a_failing_pool_does_not_stop_the_others(monkeypatch):
    InventorySyncPool.objects.create(provider="telnyx", country="US", line_type="local")
    InventorySyncPool.objects.create(provider="devotel", country="US", line_type="local")
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[offers_for(count=2, skip=700)]))
    from inventory.services import inventory_sync as module

    real = module._offers_apply

    def apply(**kwargs):
        if kwargs["provider"] == "devotel":
            apply.failed = True
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(module, "_offers_apply", apply)
    results = inventory_sync()
    assert [(r.provider, r.status) for r in results] == [("devotel", "failed"), ("telnyx", "ok")]
    runs = InventorySyncRun.objects.order_by("pk")
    assert [r.status for r in runs] == ["failed", "ok"] and all(r.finished_at for r in runs)
    assert "unexpected error" in runs[0].errors
    assert set(PhoneNumber.objects.values_list("provider", flat=True)) == {"telnyx"}


def test_sync_runs_the_active_pools_of_configured_carriers(monkeypatch):
    InventorySyncPool.objects.create(provider="telnyx", country="us", line_type="local")
    InventorySyncPool.objects.create(provider="telnyx", country="CA", line_type="local")
    InventorySyncPool.objects.create(provider="didww", country="US", line_type="mobile", is_active=False)
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[offers_for(count=2)]))

    results = inventory_sync()

    assert [(r.provider, r.country, r.line_type) for r in results] == [("telnyx", "CA", "local"),
                                                                     ("telnyx", "US", "local")]
    assert [(r.provider, r.country) for r in inventory_sync(country="us")] == [("telnyx", "US")]
    assert inventory_sync(provider="didww") == []


def test_command_filters_and_dry_run(monkeypatch, make_number):
    InventorySyncPool.objects.create(provider="telnyx", country="US", line_type="local")
    InventorySyncPool.objects.create(provider="devotel", country="US", line_type="local")
    carrier = install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[offers_for(count=2, skip=500)]))

    out = io.StringIO()
    call_command("sync_carrier_inventory", "--provider", "telnyx", "--country", "US", "--dry-run", stdout=out)
    assert "telnyx US local: ok; [dry run] would have: 2 offered, 2 added" in out.getvalue()
    assert "devotel" not in out.getvalue()
    assert not InventorySyncRun.objects.exists() and carrier.page_calls == 1

    out = io.StringIO()
    call_command("sync_carrier_inventory", stdout=out)
    assert InventorySyncRun.objects.count() == 2
    assert "2 added" in out.getvalue()

    out = io.StringIO()
    call_command("sync_carrier_inventory", "--country", "FR", stdout=out)
    assert "No active synced pools" in out.getvalue()


@pytest.mark.parametrize("args", [["--provider", "acme"], ["--country", "USA"], ["--country", "1X"]])
def test_command_rejects_bad_arguments(args):
    with pytest.raises(CommandError):
        call_command("sync_carrier_inventory", *args, stdout=io.StringIO())


def test_beat_job_task_and_route(monkeypatch):
    assert settings.CELERY_BEAT_SCHEDULE["sync-carrier-inventory"]["task"] == "inventory.tasks.sync_carrier_inventory"
    assert settings.CELERY_TASK_ROUTES["inventory.tasks.sync_carrier_inventory"] == {"queue": "carrier"}
    InventorySyncPool.objects.create(provider="telnyx", country="US", line_type="local")
    install(monkeypatch, "inventory_sync", ScriptedCarrier(pages=[offers_for(count=3, skip=600)]))
    assert tasks.sync_carrier_inventory.delay().get() == [
        {"provider": "telnyx", "country": "US", "line_type": "local", "status": "ok", "added": 3, "updated": 0,
         "retired": 0}]


# --- the simulator's listing ---


def test_simulator_pages_a_deterministic_catalogue(settings):
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_INVENTORY_POOL_SIZE": 25}
    carrier = SimulatorAdapter("telnyx")
    pages, cursor = [], None
    while True:
        page = carrier.search_inventory_page(country="US", line_type="local", cursor=cursor, page_size=10)
        pages.append(page.offers)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    numbers = [o.e164 for page in pages for o in page]
    assert [len(p) for p in pages] == [10, 10, 5]
    assert len(set(numbers)) == 25
    assert all(o.country == "US" and o.line_type == "local" and o.provider == "telnyx" for p in pages for o in p)
    again = carrier.search_inventory_page(country="US", line_type="local", page_size=10)
    assert [o.e164 for o in again.offers] == numbers[:10]


def test_simulator_stops_listing_numbers_it_sold_and_lists_them_again_once_released(settings):
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_INVENTORY_POOL_SIZE": 10, "SIMULATOR_FAIL_SUFFIXES": []}
    carrier = SimulatorAdapter("telnyx")
    first = carrier.search_inventory_page(country="US", line_type="local", page_size=10).offers[0]
    order = carrier.order_number(e164=first.e164, provider_ref=first.provider_ref)
    listed_now = [o.e164 for o in carrier.search_inventory_page(country="US", line_type="local", page_size=10).offers]
    assert first.e164 not in listed_now and len(listed_now) == 9
    carrier.release_number(e164=first.e164, provider_order_id=order.provider_order_id)
    assert first.e164 in [o.e164 for o in carrier.search_inventory_page(country="US", line_type="local",
                                                                         page_size=10).offers]


def test_simulator_listing_fails_for_configured_countries_and_bad_cursors(settings):
    from orbit_numbers.errors import ProviderError

    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_SYNC_FAIL_COUNTRIES": ["GB"]}
    carrier = SimulatorAdapter("didww")
    with pytest.raises(ProviderError):
        carrier.search_inventory_page(country="GB", line_type="local")
    with pytest.raises(ProviderError):
        carrier.search_inventory_page(country="US", line_type="local", cursor="nope")


def test_sync_against_the_simulator_end_to_end(settings, make_number):
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_INVENTORY_POOL_SIZE": 30, "INVENTORY_SYNC_PAGE_SIZE": 7}
    stale = make_number(e164="+12015550090")
    result = sync()
    assert (result.status, result.pages, result.added, result.retired) == ("ok", 5, 30, 1)
    assert status_of(stale) == "retired"
    assert PhoneNumber.objects.sellable().filter(provider="telnyx", country="US", line_type="local").count() == 30
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_SYNC_FAIL_COUNTRIES": ["US"]}
    failed = sync()
    assert (failed.status, failed.retired) == ("failed", 0)
    assert PhoneNumber.objects.sellable().filter(provider="telnyx", country="US", line_type="local").count() == 30


# --- the DIDWW adapter's paged listing (recorded JSON:API responses on a local server) ---


@pytest.fixture
def didww(stub_server, settings):
    from inventory.providers.didww import DidwwAdapter

    settings.ORBIT = {**settings.ORBIT, "DIDWW_BASE_URL": f"{stub_server.url}/v3", "DIDWW_API_KEY": "DKEY",
                      "HTTP_TIMEOUT_SECONDS": 2, "HTTP_MAX_RETRIES": 0,
                      "PROVIDER_BACKENDS": {**settings.ORBIT["PROVIDER_BACKENDS"], "didww": "didww"}}
    return DidwwAdapter("didww")


def _didww_page(total: int | None, keep: slice) -> dict:
    import copy

    from tests.httpstub import fixture

    body = copy.deepcopy(fixture("didww/available_dids.json"))
    body["data"] = body["data"][keep]
    if total is None:
        body.pop("meta", None)
    else:
        body["meta"] = {"total_records": total}
    return body


def test_didww_listing_pages_until_total_records(didww, stub_server):
    from tests.httpstub import Reply, fixture

    stub_server.on("GET", "/v3/countries", Reply(200, fixture("didww/countries_gb.json")))
    stub_server.on("GET", "/v3/available_dids", Reply(200, _didww_page(3, slice(0, 2))),
                   Reply(200, _didww_page(3, slice(1, 2))))
    first = didww.search_inventory_page(country="GB", page_size=2)
    assert [o.e164 for o in first.offers] == ["+442079460123", "+447700900123"] and first.next_cursor
    second = didww.search_inventory_page(country="GB", cursor=first.next_cursor, page_size=2)
    assert second.next_cursor is None and not second.truncated
    assert len(stub_server.seen("GET", "/v3/countries")) == 1  # the cursor carries the country id
    pages = stub_server.seen("GET", "/v3/available_dids")
    assert [p.query["page[number]"] for p in pages] == [["1"], ["2"]]
    assert all(p.query["page[size]"] == ["2"] for p in pages)


def test_didww_listing_without_a_count_is_truncated_when_full(didww, stub_server):
    from tests.httpstub import Reply, fixture

    stub_server.on("GET", "/v3/countries", Reply(200, fixture("didww/countries_gb.json")))
    stub_server.on("GET", "/v3/available_dids", Reply(200, _didww_page(None, slice(0, 2))))
    assert didww.search_inventory_page(country="GB", page_size=2).truncated
    assert not didww.search_inventory_page(country="GB", page_size=5).truncated


def test_didww_listing_refuses_a_bad_cursor(didww):
    from orbit_numbers.errors import ProviderError

    with pytest.raises(ProviderError):
        didww.search_inventory_page(country="GB", cursor="garbage")


def test_console_adds_a_pool_with_a_real_country_only(admin_client):
    for country in ("XX", "U1", ""):
        response = admin_client.post("/admin/inventory/inventorysyncpool/add/", {
            "provider": "telnyx", "country": country, "line_type": "local", "is_active": "on"})
        assert response.status_code == 200, country
    assert not InventorySyncPool.objects.exists()
    response = admin_client.post("/admin/inventory/inventorysyncpool/add/", {
        "provider": "telnyx", "country": "gb", "line_type": "mobile", "is_active": "on"})
    assert response.status_code == 302
    assert InventorySyncPool.objects.get().country == "GB"
    assert AuditLog.objects.filter(action="admin.inventory.inventorysyncpool.create").exists()
    assert admin_client.get("/admin/inventory/inventorysyncpool/").status_code == 200
