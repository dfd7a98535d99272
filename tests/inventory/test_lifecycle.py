"""Number lifecycle on a controllable clock: renewals, suspension, reactivation, release after grace,
auto-renew off, and the number.* events and mails of each step."""
from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from billing.models import LedgerEntry
from billing.services import ledger_reconcile, wallet_credit
from inventory.models import CarrierRelease, OwnedNumber
from inventory.services import number_buy_bulk, number_purchase, number_release, number_renewals_charge
from inventory.services.numbers import billing_cycle_end
from orbit_numbers.models import AuditLog, IdempotencyRecord
from orbit_numbers.webhooks.catalogue import EVENT_TYPES
from orbit_numbers.webhooks.models import WebhookEvent

NUMBERS = "/api/v1/numbers"


def number_mails():
    """Mails about the numbers (a charge may also cross the low-balance threshold: billing's own notice)."""
    return [message for message in mail.outbox if "balance is below" not in message.subject]


def anniversary(number: OwnedNumber, months: int):
    end = number.created_at
    for _ in range(months):
        end = billing_cycle_end(started_at=number.created_at, now=end)
    return end


def events(organization, event_type: str) -> list[dict]:
    return [event.payload for event in WebhookEvent.objects.filter(organization=organization, event_type=event_type)
            .order_by("created_at", "id")]


def monthly_fees(organization):
    return LedgerEntry.objects.filter(wallet__organization=organization, kind="monthly_fee",
                                      description__startswith="Monthly fee")


def ledger_is_clean() -> bool:
    out = StringIO()
    call_command("check_ledger", stdout=out)
    return "Ledger OK" in out.getvalue() and ledger_reconcile() == []


@pytest.fixture
def customer(make_org, make_client):
    """An organisation with a contact address and exactly enough money for a purchase (250) and
    three renewals (3 × 150), and its API client."""
    organization = make_org("Lifecycle Co", credit_cents=250 + 3 * 150)
    organization.contact_email = "billing@lifecycle.example"
    organization.save(update_fields=["contact_email"])
    return organization, make_client(organization)


def run_renewals(capture, **kwargs):
    with capture(execute=True):
        return number_renewals_charge(**kwargs)


def test_buy_renew_three_months_fail_suspend_top_up_reactivate(
        customer, make_number, clock, django_capture_on_commit_callbacks):
    organization, client = customer
    row = make_number()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{NUMBERS}/purchase", {"phone_number": row.e164}, format="json")
    assert response.status_code == 201, response.json()
    number = OwnedNumber.objects.get(pk=response.json()["data"]["id"])
    assert number.auto_renew is True and response.json()["data"]["auto_renew"] is True
    assert [e["number_id"] for e in events(organization, "number.purchased")] == [number.pk]

    for month in (1, 2, 3):
        clock.set(anniversary(number, month) + timedelta(hours=1))
        result = run_renewals(django_capture_on_commit_callbacks)
        assert (result.cycles_charged, result.unpaid) == (1, [])
        number.refresh_from_db()
        assert number.paid_until == anniversary(number, month + 1) and number.status == "active"
    renewed = events(organization, "number.renewed")
    assert [e["paid_until"] for e in renewed] == [anniversary(number, m).isoformat() for m in (2, 3, 4)]
    assert {e["charged_cents"] for e in renewed} == {150}
    assert len(number_mails()) == 3 and all("1 renewed" in message.subject for message in number_mails())
    assert number_mails()[0].to == ["billing@lifecycle.example"]
    mail.outbox.clear()

    # Month four: the wallet is empty.
    clock.set(anniversary(number, 4) + timedelta(hours=1))
    result = run_renewals(django_capture_on_commit_callbacks)
    assert result.unpaid == [number.e164] and result.cycles_charged == 0
    number.refresh_from_db()
    assert number.status == OwnedNumber.Status.SUSPENDED and number.renewal_failed_at == clock.now

    data = client.get(f"{NUMBERS}/{number.pk}").json()["data"]
    assert data["status"] == "suspended" and data["renewal_failed_at"] is not None
    assert client.get(NUMBERS, {"status": "suspended"}).json()["data"][0]["id"] == number.pk
    routing = client.get(f"{NUMBERS}/{number.e164}/routing").json()["data"]
    assert routing["inbound"] == "paused"
    # The route may still be edited; it stays paused until the number is paid.
    edited = client.put(f"{NUMBERS}/{number.e164}/routing", {"type": "voicemail"}, format="json")
    assert edited.status_code == 200 and edited.json()["data"]["inbound"] == "paused"
    # The customer cannot switch it back on without paying.
    refused = client.put(f"{NUMBERS}/{number.pk}", {"status": "active"}, format="json")
    assert refused.status_code == 409 and "top up" in refused.json()["error"]["message"]
    [failed] = events(organization, "number.renewal_failed")
    [suspended] = events(organization, "number.suspended")
    release_after = (clock.now + timedelta(days=7)).isoformat()
    assert failed == {"number_id": number.pk, "phone_number": number.e164,
                      "paid_until": anniversary(number, 4).isoformat(), "monthly_cents": 150, "balance_cents": 0,
                      "release_after": release_after}
    assert suspended == {"number_id": number.pk, "phone_number": number.e164, "reason": "renewal_failed",
                         "release_after": release_after}
    [message] = number_mails()
    assert "suspended" in message.subject and number.e164 in message.body and "paused" in message.body
    assert AuditLog.objects.filter(action="number.suspend", object_id=number.pk).count() == 1

    # A second run changes nothing and tells nobody twice.
    clock.advance(hours=1)
    run_renewals(django_capture_on_commit_callbacks)
    assert len(events(organization, "number.suspended")) == 1 and len(number_mails()) == 1

    # A top-up reactivates it at once (the credit listener queues the retry on commit).
    clock.advance(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        wallet_credit(organization=organization, amount_cents=1000, description="top-up")
    number.refresh_from_db()
    assert number.status == OwnedNumber.Status.ACTIVE and number.renewal_failed_at is None
    assert number.paid_until == anniversary(number, 5)
    assert events(organization, "number.reactivated") == [
        {"number_id": number.pk, "phone_number": number.e164, "paid_until": anniversary(number, 5).isoformat()}]
    assert "reactivated" in number_mails()[-1].subject
    assert client.get(f"{NUMBERS}/{number.e164}/routing").json()["data"]["inbound"] == "active"
    assert monthly_fees(organization).count() == 4
    assert ledger_is_clean()


def test_fail_then_grace_then_released(make_org, make_client, make_number, clock, settings,
                                      django_capture_on_commit_callbacks):
    settings.ORBIT = {**settings.ORBIT, "RENEWAL_GRACE_DAYS": 7}
    organization = make_org("Poor Co", credit_cents=250)  # the purchase, nothing more
    organization.contact_email = "owner@poor.example"
    organization.save(update_fields=["contact_email"])
    client = make_client(organization)
    number = number_purchase(organization=organization, phone_number=make_number().e164)

    clock.set(anniversary(number, 1) + timedelta(hours=1))
    run_renewals(django_capture_on_commit_callbacks)
    number.refresh_from_db()
    assert number.status == "suspended"

    clock.advance(days=6, hours=23)
    assert run_renewals(django_capture_on_commit_callbacks).released == []
    clock.advance(hours=2)
    mail.outbox.clear()
    result = run_renewals(django_capture_on_commit_callbacks)
    assert result.released == [number.e164]
    number.refresh_from_db()
    assert number.status == OwnedNumber.Status.RELEASED
    assert number.billing_ends_at == anniversary(number, 1)
    assert events(organization, "number.released") == [
        {"number_id": number.pk, "phone_number": number.e164, "reason": "unpaid",
         "billing_ends_at": anniversary(number, 1).isoformat()}]
    assert "released" in number_mails()[-1].subject and "unpaid for 7 days" in number_mails()[-1].body
    assert CarrierRelease.objects.filter(e164=number.e164, reason="released").count() == 1
    assert client.get(f"{NUMBERS}/{number.pk}").status_code == 404
    assert not monthly_fees(organization).exists()
    assert ledger_is_clean()


def test_auto_renew_off_releases_at_the_end_of_the_paid_cycle_without_a_charge(
        customer, make_number, clock, django_capture_on_commit_callbacks):
    organization, client = customer
    number = number_purchase(organization=organization, phone_number=make_number().e164)
    response = client.put(f"{NUMBERS}/{number.pk}", {"auto_renew": False}, format="json")
    assert response.status_code == 200 and response.json()["data"]["auto_renew"] is False
    assert AuditLog.objects.filter(action="number.auto_renew", object_id=number.pk).count() == 1

    clock.set(anniversary(number, 1) - timedelta(minutes=1))
    assert run_renewals(django_capture_on_commit_callbacks).released == []
    clock.set(anniversary(number, 1) + timedelta(minutes=1))
    result = run_renewals(django_capture_on_commit_callbacks)
    assert result.released == [number.e164] and result.cycles_charged == 0
    number.refresh_from_db()
    assert number.status == "released" and number.billing_ends_at == anniversary(number, 1)
    assert [e["reason"] for e in events(organization, "number.released")] == ["not_renewed"]
    assert not monthly_fees(organization).exists()
    assert ledger_is_clean()


def test_auto_renew_back_on_keeps_renewing(customer, make_number, clock, django_capture_on_commit_callbacks):
    organization, client = customer
    number = number_purchase(organization=organization, phone_number=make_number().e164)
    client.put(f"{NUMBERS}/{number.pk}", {"auto_renew": False}, format="json")
    assert client.put(f"{NUMBERS}/{number.pk}", {"auto_renew": True}, format="json").json()["data"]["auto_renew"]
    clock.set(anniversary(number, 1) + timedelta(minutes=1))
    assert run_renewals(django_capture_on_commit_callbacks).cycles_charged == 1
    number.refresh_from_db()
    assert number.status == "active"


def test_a_credit_without_unpaid_numbers_charges_nothing_early(customer, make_number, clock,
                                                              django_capture_on_commit_callbacks):
    organization, _ = customer
    number = number_purchase(organization=organization, phone_number=make_number().e164)
    clock.set(anniversary(number, 1) - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        wallet_credit(organization=organization, amount_cents=500, description="top-up")
    assert not monthly_fees(organization).exists()


def test_every_purchase_path_emits_number_purchased(org, make_number, django_capture_on_commit_callbacks):
    single = number_purchase(organization=org, phone_number=make_number().e164)
    rows = [make_number(), make_number()]
    result = number_buy_bulk(organization=org, items=[{"phone_number": row.e164, "country_code": "US"}
                                                      for row in rows])
    purchased = events(org, "number.purchased")
    assert [e["number_id"] for e in purchased] == [single.pk, *(n.pk for n in result.succeeded)]
    assert purchased[0] == {"number_id": single.pk, "phone_number": single.e164, "source": "purchase",
                            "monthly_cents": 150, "setup_cents": 100}
    assert {e["source"] for e in purchased[1:]} == {"bulk"}
    assert set(purchased[0]) == set(EVENT_TYPES["number.purchased"].data)


def test_release_paths_emit_number_released_with_their_reason(org, client, make_number):
    mine = number_purchase(organization=org, phone_number=make_number().e164)
    staffs = number_purchase(organization=org, phone_number=make_number().e164)
    assert client.delete(f"{NUMBERS}/{mine.pk}").status_code == 204
    number_release(organization=org, number_id=staffs.pk, reason="staff")
    released = {e["number_id"]: e for e in events(org, "number.released")}
    assert (released[mine.pk]["reason"], released[staffs.pk]["reason"]) == ("customer", "staff")
    assert set(released[mine.pk]) == set(EVENT_TYPES["number.released"].data)


def test_staff_release_from_the_console_says_staff(org, make_number, admin_client):
    number = number_purchase(organization=org, phone_number=make_number().e164)
    response = admin_client.post("/admin/inventory/ownednumber/", {
        "action": "release_numbers", "_selected_action": [number.pk], "apply": "1", "confirm": "on"})
    assert response.status_code in (200, 302)
    number.refresh_from_db()
    assert number.status == "released"
    assert [e["reason"] for e in events(org, "number.released")] == ["staff"]


def test_lifecycle_events_carry_the_catalogued_keys(customer, make_number, clock, django_capture_on_commit_callbacks):
    organization, client = customer
    number = number_purchase(organization=organization, phone_number=make_number().e164)
    client.put(f"{NUMBERS}/{number.pk}", {"release_at": (clock.now + timedelta(days=40)).isoformat()}, format="json")
    client.put(f"{NUMBERS}/{number.pk}", {"release_at": None}, format="json")
    for month in (1, 2, 3, 4):
        clock.set(anniversary(number, month) + timedelta(hours=1))
        run_renewals(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        wallet_credit(organization=organization, amount_cents=1000, description="top-up")
    seen = set()
    for event in WebhookEvent.objects.filter(organization=organization):
        assert set(event.payload) == set(EVENT_TYPES[event.event_type].data), event.event_type
        seen.add(event.event_type)
    assert seen >= {"number.purchased", "number.renewed", "number.renewal_failed", "number.suspended",
                    "number.reactivated", "number.release_scheduled", "number.release_cancelled"}


def test_suspended_numbers_show_in_the_console(customer, make_number, clock, admin_client,
                                               django_capture_on_commit_callbacks):
    organization, _ = customer
    number = number_purchase(organization=organization, phone_number=make_number().e164)
    OwnedNumber.objects.filter(pk=number.pk).update(status="suspended", auto_renew=False)
    page = admin_client.get("/admin/inventory/ownednumber/", {"status__exact": "suspended"})
    assert page.status_code == 200 and number.e164 in page.content.decode()
    assert admin_client.get("/admin/inventory/ownednumber/", {"auto_renew__exact": "1"}).status_code == 200
    assert number.e164 not in admin_client.get("/admin/inventory/ownednumber/",
                                               {"auto_renew__exact": "1"}).content.decode()
    assert admin_client.get(f"/admin/inventory/ownednumber/{number.pk}/change/").status_code == 200


def test_beat_job_commands_run_the_same_services(org, make_number, clock):
    from inventory.models import PhoneNumber

    number = number_purchase(organization=org, phone_number=make_number().e164)
    number_release(organization=org, number_id=number.pk)
    CarrierRelease.objects.update(status="done")
    clock.advance(days=31)
    out = StringIO()
    call_command("return_aged_numbers", stdout=out)
    assert out.getvalue().strip() == "Returned 1 aged number(s) to inventory."
    assert PhoneNumber.objects.get(pk=number.phone_number_id).status == "available"

    IdempotencyRecord.objects.create(organization=org, key="old", fingerprint="x", created_at=clock.now)
    clock.advance(days=3)
    out = StringIO()
    call_command("purge_idempotency_records", stdout=out)
    assert out.getvalue().strip() == "Purged 1 idempotency record(s)."
    assert not IdempotencyRecord.objects.exists()


def test_the_beat_entry_and_its_task_release_due_numbers(org, buy_for_beat, clock, settings):
    from inventory import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["release-scheduled-numbers"]
    assert entry["task"] == tasks.release_scheduled_numbers.name
    number = buy_for_beat
    OwnedNumber.objects.filter(pk=number.pk).update(release_at=clock.now + timedelta(minutes=1))
    assert tasks.release_scheduled_numbers() == {"released": 0, "failed_batches": 0}
    clock.advance(minutes=2)
    assert tasks.release_scheduled_numbers() == {"released": 1, "failed_batches": 0}
    assert tasks.retry_organization_renewals(org.pk) == {"numbers_charged": 0, "unpaid": 0, "released": 0}


@pytest.fixture
def buy_for_beat(org, make_number):
    return number_purchase(organization=org, phone_number=make_number().e164)
