"""The console's bulk-reservation screens: active holds with time left, force-expire for support."""
from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from inventory.admin_bulk import time_left
from inventory.models import BulkReservation, InventoryStatus, PhoneNumber
from inventory.services import reservation_create
from orbit_numbers.models import AuditLog
from tests.staff import action_names, make_staff, superuser_client  # noqa: F401

CHANGELIST = reverse("admin:inventory_bulkreservation_changelist")


def hold(org, make_number, count=3) -> BulkReservation:
    for _ in range(count):
        make_number(provider="telnyx")
    return reservation_create(organization=org, country="US", quantity=count)


def test_time_left_reads_like_an_operator_would():
    now = timezone.now()
    assert time_left(now + timedelta(minutes=12, seconds=30), now) == "12 min"
    assert time_left(now + timedelta(seconds=45), now) == "45 s"
    assert time_left(now - timedelta(seconds=1), now) == "expired"


def test_active_holds_show_time_left_and_the_filter_keeps_only_them(superuser_client, org, make_number):
    active = hold(org, make_number)
    ended = hold(org, make_number)
    BulkReservation.objects.filter(pk=ended.pk).update(status=BulkReservation.Status.CANCELLED)

    page = superuser_client.get(CHANGELIST, {"hold": "active"}).content.decode()
    assert active.pk in page and ended.pk not in page
    assert "14 min" in page or "15 min" in page


def test_support_force_expires_a_hold_and_its_numbers_return(make_staff, org, make_number):
    reservation = hold(org, make_number)
    support = make_staff("support")
    assert "force_expire" in action_names(support.get(CHANGELIST).content.decode())

    response = support.post(CHANGELIST, {"action": "force_expire", "_selected_action": [reservation.pk]},
                            follow=True)
    assert response.status_code == 200
    reservation.refresh_from_db()
    assert reservation.status == BulkReservation.Status.EXPIRED
    held = reservation.items.values_list("phone_number_id", flat=True)
    assert set(PhoneNumber.objects.filter(pk__in=held).values_list("status", flat=True)) == {InventoryStatus.AVAILABLE}
    audit = AuditLog.objects.get(action="bulk_reservation.force_expire", object_id=reservation.pk)
    assert audit.acting_user == support.user


def test_force_expire_skips_what_is_no_longer_held(superuser_client, org, make_number):
    reservation = hold(org, make_number)
    BulkReservation.objects.filter(pk=reservation.pk).update(status=BulkReservation.Status.FINALIZED)
    response = superuser_client.post(CHANGELIST, {"action": "force_expire", "_selected_action": [reservation.pk]},
                                     follow=True)
    assert "Skipped (not an active hold)" in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == BulkReservation.Status.FINALIZED


def test_roles_without_the_permission_see_no_hold_actions(make_staff):
    finance = make_staff("finance")
    assert finance.get(CHANGELIST).status_code == 403  # finance has no reservation screens at all
    porting = make_staff("porting-ops")
    assert porting.get(CHANGELIST).status_code == 403


def test_changelist_query_count_does_not_grow_with_holds(superuser_client, make_org, make_number,
                                                          django_assert_max_num_queries):
    for index in range(8):
        hold(make_org(f"Holder {index}", credit_cents=10_000), make_number, count=2)
    with django_assert_max_num_queries(12):
        response = superuser_client.get(CHANGELIST)
    assert response.status_code == 200
