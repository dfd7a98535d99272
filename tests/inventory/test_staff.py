"""Staff number operations: reassign between organisations, tag — all or nothing, audited."""
from __future__ import annotations

import pytest

from billing.models import LedgerEntry
from inventory.models import NumberRoute, OwnedNumber
from inventory.services import number_purchase
from inventory.services.staff import number_reassign, number_tag
from orbit_numbers.errors import Conflict, NotFound, ValidationFailed
from orbit_numbers.models import AuditLog
from tests.inventory.compliance_support import make_profile


def buy(org, row):
    return number_purchase(organization=org, phone_number=row.e164, country_code=row.country)


def test_reassign_closes_the_old_tenure_and_opens_a_clean_one(make_org, make_number):
    source, target = make_org("Source", credit_cents=50_00), make_org("Target")
    number = buy(source, make_number("US"))
    OwnedNumber.objects.filter(pk=number.pk).update(label="Old label", webhook_url="https://source.example/hook",
                                                    tags=["source"])
    entries_before = LedgerEntry.objects.count()

    (new,) = number_reassign(number_ids=[number.pk], to_organization=target, reason="ticket 1")

    number.refresh_from_db()
    assert number.status == "released" and number.billing_ends_at == number.released_at
    assert new.organization == target and new.phone_number_id == number.phone_number_id
    assert new.status == "active" and new.source == "staff"
    assert (new.label, new.webhook_url, new.tags) == ("", None, [])
    assert new.monthly_cents == number.monthly_cents and new.setup_cents == 0
    assert NumberRoute.objects.filter(number=new).exists()
    assert LedgerEntry.objects.count() == entries_before  # no charge either way
    out = AuditLog.objects.get(action="number.reassign_out")
    assert out.organization == source and out.after["number_id"] == new.pk and out.after["reason"] == "ticket 1"
    assert AuditLog.objects.get(action="number.reassign_in").organization == target


def test_reassign_into_a_regulated_country_waits_for_compliance(make_org, make_number):
    source, target = make_org("Source", credit_cents=50_00), make_org("Target")
    make_profile(source, "GB")
    first, second = buy(source, make_number("GB")), buy(source, make_number("GB"))
    (new,) = number_reassign(number_ids=[first.pk], to_organization=target)
    assert new.status == "regulatory_hold" and new.compliance_profile_id is None
    covering = make_profile(target, "GB", actions=["purchase"])
    (covered,) = number_reassign(number_ids=[second.pk], to_organization=target)
    assert covered.status == "active" and covered.compliance_profile_id == covering.pk


def test_reassign_is_all_or_nothing_and_names_every_problem(make_org, make_number):
    source, target = make_org("Source", credit_cents=50_00), make_org("Target", credit_cents=50_00)
    fine = buy(source, make_number("US"))
    porting = buy(source, make_number("US"))
    OwnedNumber.objects.filter(pk=porting.pk).update(status="porting_out")
    theirs = buy(target, make_number("US"))

    with pytest.raises(Conflict) as caught:
        number_reassign(number_ids=[fine.pk, porting.pk, theirs.pk], to_organization=target)

    assert set(caught.value.details) == {porting.pk, theirs.pk}
    fine.refresh_from_db()
    assert fine.status == "active" and fine.organization == source


def test_reassign_unknown_or_released_numbers_is_not_found(make_org):
    with pytest.raises(NotFound):
        number_reassign(number_ids=["num_missing"], to_organization=make_org("Target"))


def test_reassign_to_a_deactivated_organisation_is_refused(make_org, make_number):
    source, target = make_org("Source", credit_cents=50_00), make_org("Target")
    target.is_active = False
    target.save()
    number = buy(source, make_number("US"))
    with pytest.raises(ValidationFailed):
        number_reassign(number_ids=[number.pk], to_organization=target)


def test_tag_adds_removes_and_validates(org, make_number):
    number = buy(org, make_number("US"))
    number_tag(number_ids=[number.pk], add=["VIP", " emea ", "vip"])
    number.refresh_from_db()
    assert number.tags == ["vip", "emea"]
    number_tag(number_ids=[number.pk], remove=["vip"])
    number.refresh_from_db()
    assert number.tags == ["emea"]
    with pytest.raises(ValidationFailed):
        number_tag(number_ids=[number.pk], add=["not a slug!"])
    with pytest.raises(ValidationFailed):
        number_tag(number_ids=[number.pk], add=[f"t{index}" for index in range(10)])  # 11 tags > 10
    with pytest.raises(ValidationFailed):
        number_tag(number_ids=[number.pk])
    number.refresh_from_db()
    assert number.tags == ["emea"]
