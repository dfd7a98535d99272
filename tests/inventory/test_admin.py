"""Inventory in the console: search by digits, filters, bulk actions through services, audited edits,
query counts on big changelists; bulk-reservation holds (time left, force-expire, cancel), brands and campaigns."""
from __future__ import annotations

from datetime import timedelta

from django.contrib.admin.utils import quote  # ids like org_12… must be quoted as the admin quotes them
from django.urls import reverse
from django.utils import timezone

from inventory.admin import time_left
from inventory.models import BulkReservation, InventoryStatus, LowStockThreshold, OwnedNumber, PhoneNumber
from inventory.services import number_purchase, reservation_create
from orbit_numbers.models import AuditLog
from orbit_numbers.money import format_dollars
from tests.inventory.compliance_support import ensure_covered
from tests.staff import action_names, make_staff, superuser_client  # noqa: F401

NUMBERS = "/admin/inventory/phonenumber/"
OWNED = "/admin/inventory/ownednumber/"
RESERVATIONS = reverse("admin:inventory_bulkreservation_changelist")


def buy(org, row):
    ensure_covered(org, row.country, row.line_type)
    return number_purchase(organization=org, phone_number=row.e164, country_code=row.country)


def listed(response) -> list:
    return list(response.context["cl"].result_list)


def test_search_numbers_by_any_digits_however_typed(superuser_client, make_number):
    target = make_number("US", e164="+12015550123")
    make_number("US", e164="+12015550177")
    gb = make_number("GB", e164="+442079460018")

    for query in ("+1 (201) 555-0123", "2015550123", "555 01 23", "0123"):
        assert listed(superuser_client.get(NUMBERS, {"q": query})) == [target], query
    # A national number typed with its trunk prefix still finds the E.164 number.
    assert listed(superuser_client.get(NUMBERS, {"q": "020 7946 0018"})) == [gb]
    assert len(listed(superuser_client.get(NUMBERS, {"q": "201555"}))) == 2


def test_filter_numbers_by_country_type_provider_status(superuser_client, make_number):
    us_local = make_number("US", provider="telnyx")
    make_number("US", "toll_free", provider="telnyx")
    make_number("GB", provider="didww")
    make_number("US", provider="devotel", status="reserved")
    response = superuser_client.get(NUMBERS, {"country": "US", "line_type__exact": "local",
                                              "provider__exact": "telnyx", "status__exact": "available"})
    assert listed(response) == [us_local]


def test_owned_numbers_filter_by_organisation_country_and_status(superuser_client, make_org, make_number):
    acme, globex = make_org("Acme Co", credit_cents=50_00), make_org("Globex", credit_cents=50_00)
    mine = buy(acme, make_number("US"))
    buy(globex, make_number("US"))
    buy(acme, make_number("GB"))
    response = superuser_client.get(OWNED, {"organization__id__exact": acme.pk, "phone_number__country": "US",
                                            "status__exact": "active"})
    assert listed(response) == [mine]


def test_support_releases_numbers_through_the_service(make_staff, org, make_number):
    client = make_staff("support")
    number = buy(org, make_number("US"))
    assert {"release_numbers", "reassign_numbers", "tag_numbers"} <= action_names(client.get(OWNED).content.decode())
    post = {"action": "release_numbers", "_selected_action": [number.pk], "index": 0}

    confirm = client.post(OWNED, post)
    assert confirm.status_code == 200 and number.e164 in confirm.content.decode()
    number.refresh_from_db()
    assert number.status == "active"  # nothing happens before the confirmation

    client.post(OWNED, {**post, "apply": "1"})
    number.refresh_from_db()
    assert number.status == "released" and number.billing_ends_at is not None
    assert AuditLog.objects.get(action="number.release").acting_user == client.user


def test_finance_sees_no_number_actions(make_staff, org, make_number):
    buy(org, make_number("US"))
    assert action_names(make_staff("finance").get(OWNED).content.decode()) == set()


def test_reassign_action_moves_numbers_to_another_organisation(make_staff, make_org, make_number):
    client = make_staff("support")
    source, target = make_org("Source", credit_cents=50_00), make_org("Target")
    numbers = [buy(source, make_number("US")), buy(source, make_number("US"))]
    post = {"action": "reassign_numbers", "_selected_action": [n.pk for n in numbers], "index": 0, "apply": "1",
            "organization": target.pk, "reason": "Company split, ticket 4411"}

    response = client.post(OWNED, post)

    assert response.status_code == 302
    for number in numbers:
        number.refresh_from_db()
        assert number.status == "released"
        new = OwnedNumber.objects.get(phone_number=number.phone_number, organization=target)
        assert new.status == "active" and new.source == "staff"
    assert AuditLog.objects.filter(action="number.reassign_in", organization=target).count() == 2
    assert AuditLog.objects.filter(action="number.reassign_out", organization=source).count() == 2


def test_reassign_without_a_reason_shows_the_form_again(make_staff, make_org, make_number):
    client = make_staff("support")
    source, target = make_org("Source", credit_cents=50_00), make_org("Target")
    number = buy(source, make_number("US"))
    response = client.post(OWNED, {"action": "reassign_numbers", "_selected_action": [number.pk], "index": 0,
                                   "apply": "1", "organization": target.pk, "reason": ""})
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    number.refresh_from_db()
    assert number.status == "active"


def test_tag_action_adds_and_removes_tags(make_staff, org, make_number):
    client = make_staff("support")
    number = buy(org, make_number("US"))
    client.post(OWNED, {"action": "tag_numbers", "_selected_action": [number.pk], "index": 0, "apply": "1",
                        "add": "VIP, emea", "remove": ""})
    number.refresh_from_db()
    assert number.tags == ["vip", "emea"]
    client.post(OWNED, {"action": "tag_numbers", "_selected_action": [number.pk], "index": 0, "apply": "1",
                        "add": "", "remove": "vip"})
    number.refresh_from_db()
    assert number.tags == ["emea"]
    assert AuditLog.objects.filter(action="number.tag").count() == 2


def test_owned_number_edit_is_limited_to_label_and_tags_and_audited(superuser_client, org, make_number):
    number = buy(org, make_number("US"))
    url = reverse("admin:inventory_ownednumber_change", args=[quote(number.pk)])
    page = superuser_client.get(url).content.decode()
    assert 'name="label"' in page and 'name="status"' not in page and 'name="monthly_cents"' not in page

    response = superuser_client.post(url, {"label": "Support line", "tags": '["support"]', "status": "inactive",
                                          "route-TOTAL_FORMS": 1, "route-INITIAL_FORMS": 1,
                                          "route-MIN_NUM_FORMS": 0, "route-MAX_NUM_FORMS": 1})
    assert response.status_code == 302, response.content.decode()[:2000]
    number.refresh_from_db()
    assert number.label == "Support line" and number.status == "active"
    audit = AuditLog.objects.get(action="admin.inventory.ownednumber.change")
    assert audit.before == {"label": "", "tags": []}
    assert audit.after == {"label": "Support line", "tags": ["support"]}


def test_threshold_edits_are_validated_and_audited(make_staff):
    client = make_staff("support")
    add = "/admin/inventory/lowstockthreshold/add/"
    no_rule = client.post(add, {"country": "us", "line_type": "local", "is_active": "on"})
    assert no_rule.status_code == 200 and not LowStockThreshold.objects.exists()
    assert "minimum" in no_rule.content.decode()

    created = client.post(add, {"country": "us", "line_type": "local", "area_code": "415", "min_available": 10,
                                "is_active": "on"})
    assert created.status_code == 302
    threshold = LowStockThreshold.objects.get()
    assert threshold.country == "US"
    audit = AuditLog.objects.get(action="admin.inventory.lowstockthreshold.create")
    assert audit.after["min_available"] == 10 and audit.acting_user == client.user


def test_numbers_changelist_query_count_with_many_rows(superuser_client, make_number, django_assert_max_num_queries):
    for _ in range(70):
        make_number("US")
    with django_assert_max_num_queries(10):
        response = superuser_client.get(NUMBERS)
    assert response.status_code == 200 and len(listed(response)) == 50
    with django_assert_max_num_queries(10):
        assert len(listed(superuser_client.get(NUMBERS, {"country": "US", "status__exact": "available"}))) == 50


def test_owned_changelist_query_count_with_many_rows(superuser_client, make_org, make_number,
                                                     django_assert_max_num_queries):
    orgs = [make_org(f"Tenant {index}", credit_cents=100_00) for index in range(6)]
    for index in range(60):
        buy(orgs[index % 6], make_number("US"))
    with django_assert_max_num_queries(12):
        response = superuser_client.get(OWNED)
    assert response.status_code == 200 and len(listed(response)) == 50
    with django_assert_max_num_queries(12):
        assert superuser_client.get(OWNED, {"q": "+1"}).status_code == 200


# The console's changelists over tables that grow with the business (a million numbers, one owned
# number, reservation, audit row and webhook event per purchase …).
BIG_CHANGELISTS = ("inventory_phonenumber", "inventory_ownednumber", "inventory_bulkreservation",
                   "orbit_numbers_auditlog", "billing_ledgerentry", "orbit_numbers_webhookevent",
                   "inventory_numberlookup", "inventory_cnamlisting", "inventory_emergencyassignment")


def unbounded_scans(queries) -> list[str]:
    """Statements that read a whole table for the page's furniture: a COUNT without a LIMIT inside, or
    any SELECT DISTINCT (filter choices, date hierarchies)."""
    found = []
    for query in queries:
        sql = query["sql"].upper()
        if "COUNT(" in sql and "LIMIT" not in sql or "DISTINCT" in sql:
            found.append(query["sql"])
    return found


def test_big_changelists_never_count_or_distinct_a_whole_table(superuser_client, make_org, make_number):
    """Cold (empty cache) and warm, unfiltered and filtered: no full COUNT(*), no SELECT DISTINCT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    orgs = [make_org(f"Tenant {index}", credit_cents=100_00) for index in range(3)]
    for index in range(6):
        buy(orgs[index % 3], make_number("US" if index % 2 else "GB"))
    hold(orgs[0], make_number, count=2)
    for changelist in BIG_CHANGELISTS:
        url = reverse(f"admin:{changelist}_changelist")
        for params in ({}, {}, {"q": "Tenant"}):
            with CaptureQueriesContext(connection) as queries:
                response = superuser_client.get(url, params)
            assert response.status_code == 200, (url, params)
            assert unbounded_scans(queries.captured_queries) == [], (url, params)
    # The filters still offer the inventory's countries (found by walking an index) and filter by them.
    response = superuser_client.get(OWNED, {"phone_number__country": "GB"})
    assert {number.phone_number.country for number in listed(response)} == {"GB"}
    assert len(listed(response)) == 3
    assert 'phone_number__country=GB' in response.content.decode()
    assert 'phone_number__country=US' in response.content.decode()


def test_index_walk_finds_the_same_values_as_select_distinct(make_number):
    from orbit_numbers.admin_base import index_distinct_values

    for country, status in (("US", "available"), ("US", "assigned"), ("GB", "available"), ("DE", "retired"),
                            ("US", "available")):
        make_number(country, status=status)
    expected = sorted(set(PhoneNumber.objects.values_list("status", "country")))
    assert index_distinct_values(PhoneNumber, ("status", "country")) == expected
    assert index_distinct_values(PhoneNumber, ("status",)) == sorted({(status,) for status, _ in expected})


def test_unfiltered_count_of_a_table_without_statistics_stops_at_the_threshold(make_org, monkeypatch):
    """Bulk-loaded and never analysed: no estimate to trust, and still no full COUNT(*)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orbit_numbers.admin_base import EstimatedCountPaginator

    for index in range(8):
        make_org(f"Tenant {index}")
    monkeypatch.setattr(EstimatedCountPaginator, "_estimated_rows", staticmethod(lambda queryset: None))
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 5)
    from orbit_numbers.models import Organization

    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(Organization.objects.order_by("pk"), 2).count
    assert count == 6  # counting stopped one past the threshold: "more than 5"
    assert "LIMIT" in queries.captured_queries[-1]["sql"].upper()
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 100)
    assert EstimatedCountPaginator(Organization.objects.order_by("pk"), 2).count == Organization.objects.count()


def test_alert_and_failure_logs_are_read_only(superuser_client):
    for url in ("/admin/inventory/lowstockalert/add/", "/admin/inventory/carrierfailure/add/"):
        assert superuser_client.get(url).status_code == 403


# --- bulk reservations: active holds with time left, force-expire for support ---------------------

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

    page = superuser_client.get(RESERVATIONS, {"hold": "active"}).content.decode()
    assert active.pk in page and ended.pk not in page
    assert "14 min" in page or "15 min" in page


def test_search_reservations_by_a_number_they_held(superuser_client, org, make_number):
    wanted = hold(org, make_number, count=2)
    other = hold(org, make_number, count=1)
    e164 = wanted.items.first().e164
    page = superuser_client.get(RESERVATIONS, {"q": e164}).content.decode()
    assert wanted.pk in page and other.pk not in page
    assert other.pk in superuser_client.get(RESERVATIONS, {"q": other.pk}).content.decode()


def test_support_force_expires_a_hold_and_its_numbers_return(make_staff, org, make_number):
    reservation = hold(org, make_number)
    support = make_staff("support")
    assert "force_expire" in action_names(support.get(RESERVATIONS).content.decode())

    response = support.post(RESERVATIONS, {"action": "force_expire", "_selected_action": [reservation.pk]},
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
    response = superuser_client.post(RESERVATIONS, {"action": "force_expire", "_selected_action": [reservation.pk]},
                                     follow=True)
    assert "Skipped (not an active hold)" in response.content.decode()
    reservation.refresh_from_db()
    assert reservation.status == BulkReservation.Status.FINALIZED


def test_roles_without_the_permission_see_no_hold_actions(make_staff):
    finance = make_staff("finance")
    assert finance.get(RESERVATIONS).status_code == 403  # finance has no reservation screens at all
    porting = make_staff("porting-ops")
    assert porting.get(RESERVATIONS).status_code == 403


def test_changelist_query_count_does_not_grow_with_holds(superuser_client, make_org, make_number,
                                                          django_assert_max_num_queries):
    for index in range(8):
        hold(make_org(f"Holder {index}", credit_cents=10_000), make_number, count=2)
    with django_assert_max_num_queries(12):
        response = superuser_client.get(RESERVATIONS)
    assert response.status_code == 200


def test_registrations_pass_checks_and_cancel_goes_through_the_service(org, make_number, rf, admin_user):
    from django.contrib import admin
    from django.contrib.messages.storage.fallback import FallbackStorage

    from inventory.admin import BrandAdmin, BulkReservationAdmin, CampaignAdmin
    from inventory.models import Brand, Campaign

    for model, model_admin in ((BulkReservation, BulkReservationAdmin), (Brand, BrandAdmin),
                               (Campaign, CampaignAdmin)):
        assert model_admin(model, admin.site).check() == []

    reservation = hold(org, make_number, count=2)
    held = list(reservation.items.values_list("phone_number_id", flat=True))
    request = rf.post(RESERVATIONS)
    request.user = admin_user
    request.session = {}
    request._messages = FallbackStorage(request)
    BulkReservationAdmin(BulkReservation, admin.site).cancel_reservations(
        request, BulkReservation.objects.filter(pk=reservation.pk))
    reservation.refresh_from_db()
    assert reservation.status == BulkReservation.Status.CANCELLED
    assert set(PhoneNumber.objects.filter(pk__in=held).values_list("status", flat=True)) == {InventoryStatus.AVAILABLE}
    audit = AuditLog.objects.get(action="bulk_reservation.cancel", object_id=reservation.pk)
    assert audit.acting_user == admin_user


def test_reservation_money_reads_in_dollars(superuser_client, org, make_number):
    reservation = hold(org, make_number, count=1)
    BulkReservation.objects.filter(pk=reservation.pk).update(debited_cents=49750)
    page = superuser_client.get(RESERVATIONS).content.decode()
    assert "$497.50" in page and "49750" not in page
    item = reservation.items.get()
    detail = superuser_client.get(reverse("admin:inventory_bulkreservation_change", args=[quote(reservation.pk)]))
    assert detail.status_code == 200
    assert format_dollars(item.monthly_cents) in detail.content.decode()
