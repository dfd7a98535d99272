"""Parent and sub-organisations: one level, bounded, both active; set by staff through the service;
GET /api/v1/sub-organizations for the parent only."""
from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote
from django.urls import reverse

from inventory.models import OwnedNumber
from inventory.services import number_purchase, number_release
from orbit_numbers.errors import NotFound, ValidationFailed
from orbit_numbers.models import AuditLog, Organization
from orbit_numbers.organizations import (organization_parent_set, organization_transfer_check,
                                         sub_organizations)
from tests import staff

# The staff fixtures, for this module's tests.
make_staff = staff.make_staff
superuser_client = staff.superuser_client

URL = "/api/v1/sub-organizations"


@pytest.fixture
def family(make_org):
    parent = make_org("Parent")
    children = [organization_parent_set(organization=make_org(f"Child {i}"), parent=parent) for i in (1, 2)]
    return parent, children


def test_set_parent_links_audits_both_sides_and_unlinks(family, make_org):
    parent, (child, _) = family
    assert set(sub_organizations(parent=parent)) == set(parent.children.all())
    assert child.parent == parent
    audit = AuditLog.objects.get(action="organization.parent_set", object_id=child.pk)
    assert audit.before == {"parent_id": None} and audit.after == {"parent_id": parent.pk}
    assert AuditLog.objects.filter(action="organization.child_add", organization=parent).count() == 2

    organization_parent_set(organization=child, parent=None)
    child.refresh_from_db()
    assert child.parent is None and AuditLog.objects.filter(action="organization.parent_set").count() == 3


@pytest.mark.parametrize("case, reason", [
    ("itself", "its own parent"),
    ("grandchild", "is itself a sub-organisation"),
    ("parent_under_other", "has sub-organisations of its own"),
    ("inactive_parent", "deactivated"),
    ("inactive_child", "deactivated"),
])
def test_parent_limits_are_refused(family, make_org, case, reason):
    parent, (child, _) = family
    loner = make_org("Loner")
    organization, new_parent = {
        "itself": (loner, loner),
        "grandchild": (loner, child),
        "parent_under_other": (parent, loner),
        "inactive_parent": (loner, loner),
        "inactive_child": (loner, parent),
    }[case]
    if case == "inactive_parent":
        new_parent = make_org("Closed")
        Organization.objects.filter(pk=new_parent.pk).update(is_active=False)
        new_parent.refresh_from_db()
    if case == "inactive_child":
        Organization.objects.filter(pk=loner.pk).update(is_active=False)
        loner.refresh_from_db()
    with pytest.raises(ValidationFailed) as refused:
        organization_parent_set(organization=organization, parent=new_parent)
    assert reason in refused.value.message and "parent" in refused.value.details
    organization.refresh_from_db()
    assert organization.parent_id != new_parent.pk


def test_at_most_max_sub_organizations(family, make_org, settings):
    parent, children = family
    settings.ORBIT = {**settings.ORBIT, "MAX_SUB_ORGANIZATIONS": len(children)}
    with pytest.raises(ValidationFailed, match=f"at most {len(children)}"):
        organization_parent_set(organization=make_org("One too many"), parent=parent)
    # Re-linking a child that is already there is no new child.
    assert organization_parent_set(organization=children[0], parent=parent).parent_id == parent.pk


def test_transfer_check_allows_only_the_parents_family(family, make_org):
    parent, (child, sibling) = family
    organization_transfer_check(caller=parent, from_organization=child, to_organization=sibling)
    organization_transfer_check(caller=parent, from_organization=parent, to_organization=child)
    stranger = make_org("Stranger")
    for caller, source, target in [(child, child, sibling), (child, child, parent), (parent, parent, stranger),
                                   (stranger, child, sibling)]:
        with pytest.raises(NotFound):
            organization_transfer_check(caller=caller, from_organization=source, to_organization=target)
    with pytest.raises(ValidationFailed):
        organization_transfer_check(caller=parent, from_organization=child, to_organization=child)


def test_sub_organizations_endpoint_lists_children_with_live_number_counts(family, make_client, make_number):
    parent, (child, sibling) = family
    from billing.services import wallet_credit
    wallet_credit(organization=child, amount_cents=10_00)
    kept = number_purchase(organization=child, phone_number=make_number("US").e164)
    gone = number_purchase(organization=child, phone_number=make_number("US").e164)
    number_release(organization=child, number_id=gone.pk)
    assert OwnedNumber.objects.live().filter(organization=child).get() == kept

    response = make_client(parent, scopes=["numbers:read"]).get(URL)
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["data"]}
    assert set(rows) == {child.pk, sibling.pk}
    assert rows[child.pk] == {"id": child.pk, "name": "Child 1", "numbers_count": 1,
                              "created_at": rows[child.pk]["created_at"]}
    assert rows[sibling.pk]["numbers_count"] == 0

    filtered = make_client(parent).get(URL, {"name": "child 2"}).json()["data"]
    assert [row["id"] for row in filtered] == [sibling.pk]


def test_sub_organizations_are_invisible_to_children_siblings_and_strangers(family, make_client, make_org):
    parent, (child, _) = family
    for caller in (child, make_org("Stranger")):
        response = make_client(caller).get(URL)
        assert response.status_code == 200 and response.json()["data"] == []


def test_sub_organizations_bad_queries_and_scopes(family, make_client):
    parent, _ = family
    assert make_client(parent).get(URL, {"name": "x" * 201}).status_code == 422
    assert make_client(parent).get(URL, {"unknown": "1"}).status_code == 422
    assert make_client(parent, scopes=["billing:read"]).get(URL).status_code == 403
    from rest_framework.test import APIClient
    assert APIClient().get(URL).status_code == 401


def _change(client, organization, **fields):
    url = reverse("admin:orbit_numbers_organization_change", args=[quote(organization.pk)])
    data = {"name": organization.name, "is_active": "on", "contact_email": "", "parent": "",
            "api_keys-TOTAL_FORMS": 0, "api_keys-INITIAL_FORMS": 0, **fields}
    return client.post(url, data)


def test_staff_set_the_parent_in_the_console_through_the_service(superuser_client, family, make_org):
    parent, (child, _) = family
    loner = make_org("Loner")
    assert _change(superuser_client, loner, parent=parent.pk).status_code == 302
    loner.refresh_from_db()
    assert loner.parent == parent
    assert AuditLog.objects.filter(action="organization.parent_set", object_id=loner.pk,
                                   acting_user=superuser_client.user).exists()

    refused = _change(superuser_client, make_org("Other"), parent=child.pk)  # a child cannot be a parent
    assert refused.status_code == 200 and "sub-organisation" in str(refused.context["adminform"].form.errors)

    assert _change(superuser_client, loner, parent="").status_code == 302
    loner.refresh_from_db()
    assert loner.parent is None
