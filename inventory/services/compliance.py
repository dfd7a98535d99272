"""Compliance: customers' profiles (create, update, submit), staff review (approve, reject), the expiry
sweep, and the gate every purchase path passes before it holds or charges anything.

Lifecycle: draft → submitted → approved | rejected; an approved profile past valid_until is expired
(the sweep marks it; coverage checks the date itself, so a late sweep never lets one through).
Approving releases the organisation's numbers on regulatory hold that the profile covers.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from orbit_numbers.errors import ComplianceRequired, Conflict, NotFound, ValidationFailed
from orbit_numbers.files.models import StoredFile
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_entry, audit_record, audit_record_many
from orbit_numbers.webhooks.services import webhook_event_emit

from ..models import (DOCUMENT_FORMATS, ComplianceAction, ComplianceDocument, ComplianceProfile, OwnedNumber,
                      RegulatoryRequirement)
from ..selectors.compliance import Pool, compliance_profiles_for, profiles_due_to_expire, requirements_for

_STATUS = ComplianceProfile.Status


# --- what a pool needs, and who covers it -----------------------------------------------------------


def document_view(document: dict) -> dict:
    return {"type": document["type"], "name": document["name"], "description": document.get("description", ""),
            "accepted_formats": list(document.get("accepted_formats", []))}


def field_view(spec: dict) -> dict:
    return {"name": spec["name"], "label": spec["label"], "description": spec.get("description", ""),
            "pattern": spec.get("pattern", ""), "example": spec.get("example", "")}


def profile_problem(profile: ComplianceProfile, country: str, line_type: str, action: str,
                    now: datetime) -> str:
    """Why ``profile`` does not cover the pool, in plain words."""
    if not profile.matches(country, line_type, action):
        return (f"covers {profile.country} {', '.join(profile.line_types) or 'no line type'} for "
                f"{', '.join(profile.actions) or 'no action'}, not {country} {line_type} {action}")
    status = profile.effective_status(now)
    if status == _STATUS.EXPIRED:
        return f"expired on {profile.valid_until.date().isoformat()}" if profile.valid_until else "expired"
    if status == _STATUS.SUBMITTED:
        return "submitted, pending review"
    if status == _STATUS.DRAFT:
        return "a draft: complete and submit it"
    if status == _STATUS.REJECTED:
        return f"rejected: {profile.rejection_reason}" if profile.rejection_reason else "rejected"
    return "approved"


def profile_summary(profile: ComplianceProfile, reason: str, now: datetime) -> dict:
    return {"id": profile.pk, "name": profile.name, "status": profile.effective_status(now), "reason": reason}


@dataclass
class PoolAssessment:
    """One pool (country × line type) for one action, as the gate and the readiness check see it."""

    country: str
    line_type: str
    action: str
    requirement: RegulatoryRequirement | None
    covering: list[ComplianceProfile] = field(default_factory=list)
    pending: list[ComplianceProfile] = field(default_factory=list)  # submitted, for this pool
    others: list[ComplianceProfile] = field(default_factory=list)  # for this pool, not current, not pending

    @property
    def profile_required(self) -> bool:
        return self.requirement is not None and self.requirement.profile_required

    def missing(self, *, numbers: Iterable[str] = (), now: datetime, extra_profiles: Iterable[tuple] = ()) -> dict:
        """The ``details.missing`` entry: what the table asks, and the profiles that do not cover."""
        requirement = self.requirement
        profiles = [profile_summary(p, profile_problem(p, self.country, self.line_type, self.action, now), now)
                    for p in [*self.pending, *self.others]]
        profiles += [profile_summary(p, reason, now) for p, reason in extra_profiles]
        return {
            "country": self.country, "line_type": self.line_type, "action": self.action,
            "numbers": list(numbers),
            "documents": [document_view(d) for d in requirement.profile_documents] if requirement else [],
            "fields": [field_view(f) for f in requirement.fields] if requirement else [],
            "profiles": profiles,
        }


def pools_assess_many(*, organization: Organization, wanted: Iterable[tuple[str, str, str]],
                      now: datetime | None = None) -> dict[tuple[str, str, str], PoolAssessment]:
    """Every (country, line type, action): its requirement and the organisation's profiles for it. Two
    queries whatever the number of pools and actions (none for profiles if nothing is regulated)."""
    now = now or timezone.now()
    wanted = set(wanted)
    requirements = requirements_for(pools={(c, lt) for c, lt, _ in wanted}, actions={a for _, _, a in wanted})
    # Profiles only matter where something is regulated (for unregulated pools, one query less).
    regulated_countries = {key[0] for key in wanted if key in requirements and requirements[key].profile_required}
    profiles = compliance_profiles_for(organization=organization, countries=regulated_countries)
    assessments = {}
    for country, line_type, action in wanted:
        assessment = PoolAssessment(country, line_type, action, requirements.get((country, line_type, action)))
        for profile in profiles:
            if not profile.matches(country, line_type, action):
                continue
            if profile.covers(country, line_type, action, now):
                assessment.covering.append(profile)
            elif profile.status == _STATUS.SUBMITTED:
                assessment.pending.append(profile)
            else:
                assessment.others.append(profile)
        assessments[(country, line_type, action)] = assessment
    return assessments


def pools_assess(*, organization: Organization, pools: Iterable[Pool], action: str,
                 now: datetime | None = None) -> dict[Pool, PoolAssessment]:
    """``pools_assess_many`` for one action, keyed by (country, line type)."""
    assessed = pools_assess_many(organization=organization, now=now,
                                 wanted={(country, line_type, action) for country, line_type in pools})
    return {(country, line_type): assessment for (country, line_type, _), assessment in assessed.items()}


@dataclass(frozen=True)
class ComplianceCover:
    """What the gate let through: the profile named by the request (attached to every number) and the
    covering profile of each regulated pool."""

    given: ComplianceProfile | None = None
    by_pool: dict = field(default_factory=dict)

    def profile_for(self, country: str, line_type: str) -> ComplianceProfile | None:
        return self.by_pool.get((country, line_type), self.given)


def compliance_profile_resolve(*, organization: Organization, compliance_profile_id: str | None,
                               field_name: str = "compliance_profile_id") -> ComplianceProfile | None:
    if not compliance_profile_id:
        return None
    profile = ComplianceProfile.objects.filter(organization=organization, pk=compliance_profile_id).first()
    if profile is None:
        raise ValidationFailed.field(field_name, "no such compliance profile in this organisation")
    return profile


def compliance_gate(*, organization: Organization, pools: dict[Pool, list[str]], compliance_profile_id: str | None,
                    action: str = ComplianceAction.PURCHASE, now: datetime | None = None) -> ComplianceCover:
    """Refuse (422 COMPLIANCE_REQUIRED) unless every regulated pool of ``pools`` ({(country, line type):
    the numbers asked for in it}) is covered: by the named profile, or — none named — by the
    organisation's one approved, unexpired profile for it. Runs before any hold or charge; three
    queries at most whatever the batch."""
    now = now or timezone.now()
    given = compliance_profile_resolve(organization=organization, compliance_profile_id=compliance_profile_id)
    assessments = pools_assess(organization=organization, pools=pools, action=action, now=now)
    by_pool, missing = {}, []
    for pool in sorted(assessments):
        assessment = assessments[pool]
        if not assessment.profile_required:
            continue
        extra: list[tuple] = []
        if given is not None:
            if given.covers(*pool, action, now):
                by_pool[pool] = given
                continue
            if not given.matches(*pool, action):
                extra.append((given, "the profile you named: " + profile_problem(given, *pool, action, now)))
        elif len(assessment.covering) == 1:
            by_pool[pool] = assessment.covering[0]
            continue
        else:
            extra += [(p, "approved and covers this, but so does another: name one in compliance_profile_id")
                      for p in assessment.covering]
        missing.append(assessment.missing(numbers=pools[pool], now=now, extra_profiles=extra))
    if missing:
        names = ", ".join(f"{m['country']} {m['line_type']}" for m in missing)
        raise ComplianceRequired(
            f"An approved compliance profile covering {names} ({action}) is required; error.details.missing "
            "lists the documents and fields to provide and the profiles that do not cover.",
            details={"missing": missing})
    return ComplianceCover(given=given, by_pool=by_pool)


def number_action(source: str) -> str:
    """The action that brought an owned number in, for its regulation."""
    return ComplianceAction.PORT_IN if source == OwnedNumber.Source.PORT_IN else ComplianceAction.PURCHASE


def arrival_status(*, organization: Organization, country: str, line_type: str, action: str,
                   now: datetime | None = None) -> tuple[str, ComplianceProfile | None]:
    """Where a number that arrives without a purchase gate (a port-in, a staff assignment) starts:
    active with the covering profile (the newest, if several), else regulatory_hold if its pool is
    regulated. Two queries."""
    assessment = pools_assess(organization=organization, pools=[(country, line_type)], action=action,
                              now=now)[(country, line_type)]
    if assessment.covering:
        return OwnedNumber.Status.ACTIVE, assessment.covering[0]
    if assessment.profile_required:
        return OwnedNumber.Status.REGULATORY_HOLD, None
    return OwnedNumber.Status.ACTIVE, None


def pool_profile_required(*, country: str, line_type: str, action: str) -> bool:
    requirement = requirements_for(pools=[(country, line_type)], actions=[action]).get((country, line_type, action))
    return requirement is not None and requirement.profile_required


# --- profiles: customers' writes ------------------------------------------------------------------------


def _coverage_requirements(*, country: str, line_types: list[str], actions: list[str]) -> list[RegulatoryRequirement]:
    found = requirements_for(pools=[(country, line_type) for line_type in line_types], actions=actions)
    return [found[key] for key in sorted(found)]


def _validated_fields(values: dict, requirements: list[RegulatoryRequirement], country: str) -> dict:
    specs = {spec["name"]: spec for requirement in requirements for spec in requirement.fields}
    problems = {}
    for name, value in values.items():
        spec = specs.get(name)
        if spec is None:
            asked = ", ".join(sorted(specs)) or "none"
            problems[f"fields.{name}"] = f"not asked for this coverage in {country} (asked: {asked})"
        elif not isinstance(value, str) or not value.strip():
            problems[f"fields.{name}"] = "must be a non-empty string"
        elif len(value) > 500:
            problems[f"fields.{name}"] = "must be at most 500 characters"
        elif spec.get("pattern") and not re.fullmatch(spec["pattern"], value.strip()):
            example = f", e.g. {spec['example']}" if spec.get("example") else ""
            problems[f"fields.{name}"] = f"is not a valid {spec['label']}{example}"
    if problems:
        raise ValidationFailed(next(iter(problems.values())), details=problems)
    return {name: value.strip() for name, value in values.items()}


def _validated_documents(*, organization: Organization, documents: list[dict],
                         requirements: list[RegulatoryRequirement], country: str) -> list[tuple[str, StoredFile]]:
    specs = {d["type"]: d for requirement in requirements for d in requirement.profile_documents}
    files = {f.pk: f for f in StoredFile.objects.filter(organization=organization,
                                                         pk__in=[d["file_id"] for d in documents])}
    problems, seen, result = {}, set(), []
    for index, document in enumerate(documents):
        spec = specs.get(document["type"])
        stored = files.get(document["file_id"])
        if spec is None:
            asked = ", ".join(sorted(specs)) or "none"
            problems[f"documents[{index}].type"] = f"not asked for this coverage in {country} (asked: {asked})"
        elif document["type"] in seen:
            problems[f"documents[{index}].type"] = "one file per document type"
        elif stored is None:
            problems[f"documents[{index}].file_id"] = "no such file in this organisation (upload it first)"
        elif stored.content_type not in {DOCUMENT_FORMATS[f] for f in spec["accepted_formats"]}:
            problems[f"documents[{index}].file_id"] = (
                f"{spec['name']} must be {' or '.join(spec['accepted_formats'])}, not {stored.content_type}")
        else:
            result.append((document["type"], stored))
        seen.add(document["type"])
    if problems:
        raise ValidationFailed(next(iter(problems.values())), details=problems)
    return result


def _profile_snapshot(profile: ComplianceProfile) -> dict:
    return {"name": profile.name, "country": profile.country, "line_types": list(profile.line_types),
            "actions": list(profile.actions), "fields": dict(profile.fields), "status": profile.status,
            "valid_until": profile.valid_until.isoformat() if profile.valid_until else None,
            "documents": {d.document_type: d.file_id for d in profile.documents.all()}}


def _check_valid_until(valid_until: datetime | None, now: datetime) -> None:
    if valid_until is not None and valid_until <= now:
        raise ValidationFailed.field("valid_until", "must be in the future")


def _apply(*, organization: Organization, profile: ComplianceProfile, changes: dict, now: datetime) -> None:
    for name in ("name", "country", "line_types", "actions", "valid_until"):
        if name in changes:
            setattr(profile, name, changes[name])
    _check_valid_until(profile.valid_until, now)
    requirements = _coverage_requirements(country=profile.country, line_types=profile.line_types,
                                          actions=profile.actions)
    profile.fields = _validated_fields(changes.get("fields", profile.fields), requirements, profile.country)
    if "documents" in changes:
        documents = _validated_documents(organization=organization, documents=changes["documents"],
                                         requirements=requirements, country=profile.country)
    else:  # a coverage change must still fit the documents held
        documents = _validated_documents(
            organization=organization, requirements=requirements, country=profile.country,
            documents=[{"type": d.document_type, "file_id": d.file_id} for d in profile.documents.all()])
    profile.save()
    profile.documents.all().delete()
    ComplianceDocument.objects.bulk_create([ComplianceDocument(profile=profile, document_type=kind, file=stored)
                                            for kind, stored in documents])
    if hasattr(profile, "_prefetched_objects_cache"):
        profile._prefetched_objects_cache.pop("documents", None)


@transaction.atomic
def compliance_profile_create(*, organization: Organization, name: str, country: str, line_types: list[str],
                              actions: list[str], fields: dict | None = None, documents: list[dict] | None = None,
                              valid_until: datetime | None = None, acting_key: ApiKey | None = None,
                              acting_user=None) -> ComplianceProfile:
    """A draft profile; fields and documents are checked against the table for its coverage."""
    profile = ComplianceProfile(organization=organization, status=_STATUS.DRAFT)
    _apply(organization=organization, profile=profile, now=timezone.now(), changes={
        "name": name, "country": country, "line_types": line_types, "actions": actions, "fields": fields or {},
        "documents": documents or [], "valid_until": valid_until})
    audit_record(action="compliance_profile.create", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=profile, after=_profile_snapshot(profile))
    return profile


def _lock(*, profile_id: str, organization: Organization | None = None) -> ComplianceProfile:
    profiles = ComplianceProfile.objects.select_for_update(of=("self",)).select_related("organization")
    if organization is not None:
        profiles = profiles.filter(organization=organization)
    profile = profiles.filter(pk=profile_id).first()
    if profile is None:
        raise NotFound("No such compliance profile.")
    return profile


@transaction.atomic
def compliance_profile_update(*, organization: Organization, profile_id: str, changes: dict,
                              acting_key: ApiKey | None = None, acting_user=None) -> ComplianceProfile:
    """Change a draft or rejected profile; only the keys in ``changes`` are touched (fields and documents
    are replaced whole). A submitted, approved or expired profile is 409: create a new one."""
    profile = _lock(profile_id=profile_id, organization=organization)
    if profile.status not in ComplianceProfile.EDITABLE_STATUSES:
        raise Conflict(f"A {profile.get_status_display().lower()} profile cannot be edited; only a draft or a "
                       "rejected one can.")
    before = _profile_snapshot(profile)
    _apply(organization=organization, profile=profile, changes=changes, now=timezone.now())
    after = _profile_snapshot(profile)
    audit_record(action="compliance_profile.update", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=profile,
                 before={k: v for k, v in before.items() if after[k] != v},
                 after={k: v for k, v in after.items() if before[k] != v})
    return profile


def profile_missing(profile: ComplianceProfile) -> dict[str, str]:
    """What the table asks for the profile's coverage that it does not hold: {"fields.x" | "documents.y": why}."""
    requirements = _coverage_requirements(country=profile.country, line_types=profile.line_types,
                                          actions=profile.actions)
    held = {d.document_type for d in profile.documents.all()}
    missing: dict[str, str] = {}
    for requirement in requirements:
        where = f"{requirement.country} {requirement.line_type} {requirement.action}"
        for spec in requirement.fields:
            if not profile.fields.get(spec["name"]):
                missing.setdefault(f"fields.{spec['name']}", f"{spec['label']} is required for {where}")
        for document in requirement.profile_documents:
            if document["type"] not in held:
                missing.setdefault(f"documents.{document['type']}", f"{document['name']} is required for {where}")
    return missing


@transaction.atomic
def compliance_profile_submit(*, organization: Organization, profile_id: str, acting_key: ApiKey | None = None,
                              acting_user=None) -> ComplianceProfile:
    """Send a draft (or rejected) profile for review; 422 listing every missing field and document."""
    profile = _lock(profile_id=profile_id, organization=organization)
    if profile.status not in ComplianceProfile.EDITABLE_STATUSES:
        raise Conflict(f"The profile is {profile.status}; only a draft or a rejected profile can be submitted.")
    if not profile.line_types or not profile.actions:
        raise ValidationFailed.field("line_types" if not profile.line_types else "actions", "must not be empty")
    now = timezone.now()
    _check_valid_until(profile.valid_until, now)
    missing = profile_missing(profile)
    if missing:
        raise ValidationFailed(f"The profile is incomplete: {len(missing)} item(s) missing.", details=missing)
    before = profile.status
    profile.status, profile.submitted_at, profile.rejection_reason = _STATUS.SUBMITTED, now, ""
    profile.save(update_fields=["status", "submitted_at", "rejection_reason", "updated_at"])
    audit_record(action="compliance_profile.submit", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=profile, before={"status": before},
                 after={"status": profile.status, "submitted_at": now.isoformat()})
    return profile


# --- staff review ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalResult:
    profile: ComplianceProfile
    activated: list[tuple[str, str]]  # (number id, e164) released from regulatory hold


def _held_numbers_covered(profile: ComplianceProfile):
    by_action = Q(pk__in=[])
    if ComplianceAction.PURCHASE in profile.actions:
        by_action |= ~Q(source=OwnedNumber.Source.PORT_IN)
    if ComplianceAction.PORT_IN in profile.actions:
        by_action |= Q(source=OwnedNumber.Source.PORT_IN)
    return OwnedNumber.objects.filter(by_action, organization_id=profile.organization_id,
                                      status=OwnedNumber.Status.REGULATORY_HOLD,
                                      phone_number__country=profile.country,
                                      phone_number__line_type__in=list(profile.line_types))


@transaction.atomic
def compliance_profile_approve(*, profile_id: str, valid_until: datetime | None = None, acting_user=None,
                               acting_key: ApiKey | None = None) -> ApprovalResult:
    """Approve a submitted profile (valid until the date given, the one it asked for, or the default
    validity), release the organisation's held numbers it covers (one UPDATE) and send
    ``compliance.approved``."""
    profile = _lock(profile_id=profile_id)
    if profile.status != _STATUS.SUBMITTED:
        raise Conflict(f"Only a submitted profile can be approved; this one is {profile.status}.")
    now = timezone.now()
    valid_until = valid_until or profile.valid_until or now + timedelta(
        days=settings.ORBIT["COMPLIANCE_PROFILE_VALIDITY_DAYS"])
    _check_valid_until(valid_until, now)
    profile.status, profile.valid_until = _STATUS.APPROVED, valid_until
    profile.reviewed_at, profile.rejection_reason = now, ""
    profile.reviewed_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    profile.save(update_fields=["status", "valid_until", "reviewed_at", "reviewed_by", "rejection_reason",
                                "updated_at"])
    # Lock order: owned numbers by id, then one UPDATE for all of them.
    held = list(_held_numbers_covered(profile).select_for_update(of=("self",)).order_by("pk")
                .values_list("pk", "e164"))
    # A held number whose renewal went unpaid meanwhile comes out suspended, not active (lifecycle).
    OwnedNumber.objects.filter(pk__in=[pk for pk, _ in held]).update(
        status=Case(When(renewal_failed_at__isnull=False, then=Value(OwnedNumber.Status.SUSPENDED)),
                    default=Value(OwnedNumber.Status.ACTIVE)),
        compliance_profile=profile, updated_at=now)
    organization = profile.organization
    actor = {"organization": organization, "acting_user": acting_user, "acting_key": acting_key}
    audit_record_many(entries=[
        audit_entry(action="compliance_profile.approve", target=profile, **actor,
                    before={"status": _STATUS.SUBMITTED},
                    after={"status": profile.status, "valid_until": valid_until.isoformat(),
                           "numbers_activated": [e164 for _, e164 in held]}),
        *[audit_entry(action="number.regulatory_release", object_type="inventory.ownednumber", object_id=pk,
                      **actor, before={"status": OwnedNumber.Status.REGULATORY_HOLD},
                      after={"status": OwnedNumber.Status.ACTIVE, "compliance_profile_id": profile.pk})
          for pk, _ in held],
    ])
    webhook_event_emit(organization=organization, event_type="compliance.approved", data={
        "profile_id": profile.pk, "status": profile.status, "country": profile.country,
        "line_types": list(profile.line_types), "actions": list(profile.actions),
        "valid_until": valid_until.isoformat(),
        "numbers_activated": [{"id": pk, "phone_number": e164} for pk, e164 in held]})
    return ApprovalResult(profile=profile, activated=held)


@transaction.atomic
def compliance_profile_reject(*, profile_id: str, reason: str, acting_user=None,
                              acting_key: ApiKey | None = None) -> ComplianceProfile:
    """Reject a submitted profile with a reason the customer sees; sends ``compliance.rejected``."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "give the reason the customer will see")
    profile = _lock(profile_id=profile_id)
    if profile.status != _STATUS.SUBMITTED:
        raise Conflict(f"Only a submitted profile can be rejected; this one is {profile.status}.")
    now = timezone.now()
    profile.status, profile.rejection_reason, profile.reviewed_at = _STATUS.REJECTED, reason[:1000], now
    profile.reviewed_by = acting_user if getattr(acting_user, "is_authenticated", False) else None
    profile.save(update_fields=["status", "rejection_reason", "reviewed_at", "reviewed_by", "updated_at"])
    audit_record(action="compliance_profile.reject", organization=profile.organization, acting_user=acting_user,
                 acting_key=acting_key, target=profile, before={"status": _STATUS.SUBMITTED},
                 after={"status": profile.status, "rejection_reason": profile.rejection_reason})
    webhook_event_emit(organization=profile.organization, event_type="compliance.rejected", data={
        "profile_id": profile.pk, "status": profile.status, "rejection_reason": profile.rejection_reason})
    return profile


@transaction.atomic
def compliance_profiles_expire(*, now: datetime | None = None) -> list[str]:
    """Approved profiles past valid_until become expired (one UPDATE, one audit insert); their ids."""
    now = now or timezone.now()
    due = list(profiles_due_to_expire(now=now).select_for_update(of=("self",), skip_locked=True)
               .order_by("pk").values_list("pk", "organization_id"))
    ComplianceProfile.objects.filter(pk__in=[pk for pk, _ in due]).update(status=_STATUS.EXPIRED, updated_at=now)
    audit_record_many(entries=[
        audit_entry(action="compliance_profile.expire", object_type="inventory.complianceprofile", object_id=pk,
                    organization=Organization(pk=organization_id), before={"status": _STATUS.APPROVED},
                    after={"status": _STATUS.EXPIRED})
        for pk, organization_id in due])
    return [pk for pk, _ in due]
