"""Port-Out Protection changes: rotating or removing a PIN presents the current one, through the
same wrong-PIN lockout as port-outs; a lock refuses changes too; staff reset a lost PIN in the
admin (permission-checked, with an audited reason)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from orbit_numbers.errors import ValidationFailed
from orbit_numbers.models import AuditLog
from porting import services
from porting.models import PortOutProtection

PIN = "s3cret-Pin-42"


def shield(number) -> str:
    return f"/api/v1/numbers/{number.id}/port-out-protection"


def protect(client, number, pin=PIN, **extra):
    return client.post(shield(number), {"port_out_pin": pin, **extra}, format="json")


def remove(client, number, **body):
    return client.delete(shield(number), body, format="json")


def port_out_one(client, number, **extra):
    return client.post(f"/api/v1/numbers/{number.id}/port-out", {
        "losing_carrier_account_number": "ORB-1", "authorized_person": "Jo Doe", "target_carrier_ocn": "6529",
        **extra}, format="json")


def mismatches(number) -> int:
    return AuditLog.objects.filter(action="port_out_protection.pin_mismatch", object_id=number.id).count()


@pytest.fixture
def protected(client, org, own_number):
    number = own_number(org)
    assert protect(client, number).status_code == 201
    return number


# ----------------------------------------------------------------------------------- removing

@pytest.mark.parametrize("body", [{}, {"port_out_pin": ""}, {"port_out_pin": "wrong-pin"}])
def test_removing_needs_the_current_pin(client, protected, body):
    response = remove(client, protected, **body)
    assert response.status_code == 401 and response.json()["error"]["code"] == "PORT_OUT_PIN_MISMATCH"
    assert PortOutProtection.objects.get(number=protected).enabled
    assert mismatches(protected) == 1  # counted, and committed although the request failed


def test_removing_with_the_pin(client, protected, slow_carrier):
    response = remove(client, protected, port_out_pin=PIN)
    assert response.status_code == 200 and response.json()["data"] == {"enabled": False, "set_at": None}
    assert AuditLog.objects.filter(action="port_out_protection.disable", object_id=protected.id).exists()
    assert port_out_one(client, protected).status_code == 201


def test_removing_an_unset_pin_needs_nothing(client, org, own_number):
    number = own_number(org)
    assert client.delete(shield(number)).json()["data"] == {"enabled": False, "set_at": None}
    assert protect(client, number).status_code == 201
    assert remove(client, number, portOutPin=PIN).status_code == 200  # the alias
    assert client.delete(shield(number)).status_code == 200


# ----------------------------------------------------------------------------------- rotating

def test_first_pin_needs_no_current_one(client, org, own_number):
    number = own_number(org)
    assert protect(client, number, current_port_out_pin="anything").status_code == 201
    assert AuditLog.objects.filter(action="port_out_protection.enable", object_id=number.id).count() == 1


@pytest.mark.parametrize("extra", [{}, {"current_port_out_pin": ""}, {"current_port_out_pin": "wrong-pin"},
                                   {"currentPortOutPin": "new-Pin-77"}])
def test_rotating_needs_the_current_pin(client, protected, extra, slow_carrier):
    response = protect(client, protected, "new-Pin-77", **extra)
    assert response.status_code == 401 and response.json()["error"]["code"] == "PORT_OUT_PIN_MISMATCH"
    assert mismatches(protected) == 1
    assert port_out_one(client, protected, port_out_pin="new-Pin-77").status_code == 401  # not rotated
    assert port_out_one(client, protected, port_out_pin=PIN).status_code == 201


def test_rotating_with_the_current_pin(client, protected, slow_carrier):
    response = protect(client, protected, "new-Pin-77", currentPortOutPin=PIN)
    assert response.status_code == 201 and response.json()["data"]["enabled"] is True
    assert AuditLog.objects.filter(action="port_out_protection.rotate", object_id=protected.id).exists()
    assert port_out_one(client, protected, port_out_pin=PIN).status_code == 401
    assert port_out_one(client, protected, port_out_pin="new-Pin-77").status_code == 201


# ----------------------------------------------------------------------------------- the lockout

def test_the_reported_attack_no_longer_lifts_the_lock(client, protected):
    """5 wrong port-out PINs lock the number; removing or rotating the PIN without it used to clear
    the lock (and the PIN), so the next port-out needed no PIN at all."""
    for _ in range(5):
        assert port_out_one(client, protected, port_out_pin="guess").status_code == 401
    removed = remove(client, protected)
    assert removed.status_code == 429 and removed.json()["error"]["code"] == "RATE_LIMITED"
    assert 1700 < int(removed["Retry-After"]) <= 1800
    rotated = protect(client, protected, "attacker-pin")
    assert rotated.status_code == 429
    assert port_out_one(client, protected).status_code == 429
    stored = PortOutProtection.objects.get(number=protected)
    assert stored.enabled and stored.locked_until > timezone.now()
    assert not AuditLog.objects.filter(action__in=["port_out_protection.disable", "port_out_protection.rotate"],
                                       object_id=protected.id).exists()


def test_the_lock_refuses_even_the_right_pin(client, protected):
    PortOutProtection.objects.filter(number=protected).update(locked_until=timezone.now() + timedelta(minutes=5))
    assert remove(client, protected, port_out_pin=PIN).status_code == 429
    assert protect(client, protected, "new-Pin-77", current_port_out_pin=PIN).status_code == 429
    assert PortOutProtection.objects.get(number=protected).enabled


def test_wrong_pins_on_changes_and_port_outs_add_up_to_one_lock(client, protected, slow_carrier):
    assert port_out_one(client, protected, port_out_pin="guess-1").status_code == 401
    assert port_out_one(client, protected, port_out_pin="guess-2").status_code == 401
    assert remove(client, protected, port_out_pin="guess-3").status_code == 401
    assert remove(client, protected).status_code == 401
    assert protect(client, protected, "new-Pin-77", current_port_out_pin="guess-5").status_code == 401
    assert AuditLog.objects.filter(action="port_out_protection.locked", object_id=protected.id).count() == 1
    assert port_out_one(client, protected, port_out_pin=PIN).status_code == 429
    PortOutProtection.objects.filter(number=protected).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert port_out_one(client, protected, port_out_pin=PIN).status_code == 201


def test_other_tenants_and_readers_cannot_change_a_pin(client, protected, org, make_client, make_org):
    other = make_client(make_org("Other"))
    assert remove(other, protected, port_out_pin=PIN).status_code == 404
    assert protect(other, protected, "new-Pin-77", current_port_out_pin=PIN).status_code == 404
    reader = make_client(org, ["porting:read"])
    assert remove(reader, protected, port_out_pin=PIN).status_code == 403
    assert mismatches(protected) == 0 and PortOutProtection.objects.get(number=protected).enabled


# ----------------------------------------------------------------------------------- staff reset

@pytest.fixture
def locked(client, protected):
    for _ in range(5):
        port_out_one(client, protected, port_out_pin="guess")
    return PortOutProtection.objects.get(number=protected)


def test_reset_service_needs_a_reason(locked, reviewer):
    with pytest.raises(ValidationFailed):
        services.port_out_protection_reset(protection_id=locked.pk, reason="  ", acting_user=reviewer)
    locked.refresh_from_db()
    assert locked.enabled and locked.locked_until


def test_staff_reset_clears_pin_and_lock_audited(client, locked, protected, reviewer, slow_carrier):
    browser = Client()
    browser.force_login(reviewer)
    change = browser.get(f"/admin/porting/portoutprotection/{locked.pk}/change/").content.decode()
    assert f"/admin/porting/portoutprotection/{locked.pk}/reset/" in change
    url = f"/admin/porting/portoutprotection/{locked.pk}/reset/"
    page = browser.get(url)
    assert page.status_code == 200 and protected.e164 in page.content.decode()
    assert browser.post(url, {"reason": "   "}).status_code == 200  # no reason: the form again
    assert PortOutProtection.objects.get(pk=locked.pk).enabled
    done = browser.post(url, {"reason": "Ticket 4711: owner verified by call-back"})
    assert done.status_code == 302
    assert browser.get(done["Location"]).status_code == 200
    stored = PortOutProtection.objects.get(pk=locked.pk)
    assert not stored.enabled and stored.locked_until is None and stored.failed_attempts == 0
    audit = AuditLog.objects.get(action="port_out_protection.reset", object_id=protected.id)
    assert audit.acting_user == reviewer and audit.organization_id == protected.organization_id
    assert audit.after["reason"] == "Ticket 4711: owner verified by call-back"
    assert audit.before["enabled"] is True and audit.before["locked_until"]
    assert protect(client, protected, "new-Pin-77").status_code == 201  # a first PIN again: no current one
    assert port_out_one(client, protected, port_out_pin="new-Pin-77").status_code == 201


def test_reset_needs_its_permission(locked, db):
    viewer = User.objects.create_user("viewer", "v@example.com", "pw-viewer-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_portoutprotection"))
    browser = Client()
    browser.force_login(viewer)
    change = browser.get(f"/admin/porting/portoutprotection/{locked.pk}/change/")
    assert change.status_code == 200 and "/reset/" not in change.content.decode()
    url = f"/admin/porting/portoutprotection/{locked.pk}/reset/"
    assert browser.get(url).status_code == 403
    assert browser.post(url, {"reason": "please"}).status_code == 403
    assert PortOutProtection.objects.get(pk=locked.pk).locked_until is not None
    assert not AuditLog.objects.filter(action="port_out_protection.reset").exists()
