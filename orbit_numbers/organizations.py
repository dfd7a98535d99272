"""Parent and sub-organisations: one level, a bounded number of children, both active.

A parent organisation may move numbers between itself and its sub-organisations through the API
(inventory/services/transfers.py); staff set the link in the console, through this service.
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from .errors import NotFound, ValidationFailed
from .models import Organization
from .services import audit_record


def organization_parent_problems(*, organization: Organization, parent: Organization | None) -> list[str]:
    """Every reason ``parent`` cannot be ``organization``'s parent (none: it can). Read-only."""
    if parent is None:
        return []
    problems = []
    if parent.pk == organization.pk:
        problems.append("an organisation cannot be its own parent")
        return problems
    if parent.parent_id is not None:
        problems.append(f"{parent} is itself a sub-organisation (one level only)")
    if organization.pk and Organization.objects.filter(parent_id=organization.pk).exists():
        problems.append(f"{organization} has sub-organisations of its own (one level only)")
    if not parent.is_active:
        problems.append(f"{parent} is deactivated")
    if not organization.is_active:
        problems.append(f"{organization} is deactivated")
    limit = settings.ORBIT["MAX_SUB_ORGANIZATIONS"]
    siblings = Organization.objects.filter(parent_id=parent.pk).exclude(pk=organization.pk).count()
    if siblings >= limit:
        problems.append(f"{parent} already has {siblings} sub-organisations (at most {limit})")
    return problems


@transaction.atomic
def organization_parent_set(*, organization: Organization, parent: Organization | None,
                            acting_user=None) -> Organization:
    """Make ``organization`` a sub-organisation of ``parent`` (or a top-level one with None)."""
    ids = sorted({organization.pk} | ({parent.pk} if parent is not None else set()))
    # Both rows locked in id order: two staff linking children to one parent at once count correctly.
    locked = {org.pk: org for org in Organization.objects.select_for_update(of=("self",)).filter(pk__in=ids)
              .order_by("pk")}
    organization = locked[organization.pk]
    parent = locked[parent.pk] if parent is not None else None
    before = organization.parent_id
    if before == (parent.pk if parent else None):
        return organization
    problems = organization_parent_problems(organization=organization, parent=parent)
    if problems:
        raise ValidationFailed("Cannot set the parent: " + "; ".join(problems) + ".",
                               details={"parent": "; ".join(problems)})
    organization.parent = parent
    organization.save(update_fields=["parent"])
    audit_record(action="organization.parent_set", organization=organization, acting_user=acting_user,
                 target=organization, before={"parent_id": before}, after={"parent_id": organization.parent_id})
    if parent is not None:
        audit_record(action="organization.child_add", organization=parent, acting_user=acting_user,
                     target=parent, after={"child_id": organization.pk})
    return organization


def sub_organizations(*, parent: Organization) -> QuerySet[Organization]:
    """The active sub-organisations of ``parent`` (a selector)."""
    return Organization.objects.filter(parent=parent, is_active=True)


def organization_transfer_check(*, caller: Organization, from_organization: Organization,
                                to_organization: Organization) -> None:
    """Refuse unless ``caller`` may move numbers from one to the other: it is the parent of both,
    or one of them and the other its sub-organisation; both active and distinct."""
    if from_organization.pk == to_organization.pk:
        raise ValidationFailed.field("to_organization_id", "must differ from from_organization_id")
    family = {caller.pk} | set(sub_organizations(parent=caller).values_list("pk", flat=True))
    outside = [org.pk for org in (from_organization, to_organization) if org.pk not in family]
    if outside:
        # Another tenant's organisation is as invisible as any of its data.
        raise NotFound("No such sub-organisation: " + ", ".join(outside) + ".", details={"organization_ids": outside})
