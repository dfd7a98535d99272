"""Inventory in the console: search by digits, filters, bulk actions through services, audited edits,
query counts on big changelists."""
from __future__ import annotations

from django.urls import reverse

from inventory.models import LowStockThreshold, OwnedNumber
from inventory.services import number_purchase
from orbit_numbers.models import AuditLog
from tests.staff import action_names, make_staff, superuser_client  # noqa: F401

NUMBERS = "/admin/inventory/phonenumber/"
OWNED = "/admin/inventory/ownednumber/"


def buy(org, row):
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
    url = reverse("admin:inventory_ownednumber_change", args=[number.pk])
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


def test_alert_and_failure_logs_are_read_only(superuser_client):
    for url in ("/admin/inventory/lowstockalert/add/", "/admin/inventory/carrierfailure/add/"):
        assert superuser_client.get(url).status_code == 403
