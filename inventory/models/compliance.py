"""Regulation: what each country asks before a number may be bought or ported in (RegulatoryRequirement,
a table shipped with the project and edited by staff), and the compliance profiles customers bring to
satisfy it (ComplianceProfile with its ComplianceDocuments, reviewed by staff).

A pool (country × line type) is regulated for an action when its requirement asks for anything a
profile must hold: a field, or a document not handed over with each port request. Only an approved,
unexpired profile of the organisation for that country, line type and action covers it.
"""
from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from orbit_numbers.files.models import StoredFile
from orbit_numbers.ids import new_id
from orbit_numbers.models import Organization

from . import LineType

__all__ = ["ComplianceAction", "ComplianceDocument", "ComplianceProfile", "DOCUMENT_FORMATS", "DocumentSource",
           "RegulatoryRequirement", "new_compliance_profile_id"]


def new_compliance_profile_id() -> str:
    return new_id("cp")


class ComplianceAction(models.TextChoices):
    PURCHASE = "purchase", "Purchase"
    PORT_IN = "port_in", "Port-in"


class DocumentSource(models.TextChoices):
    PROFILE = "profile", "Held in the compliance profile"
    PORT_REQUEST = "port_request", "Given with each port request (LoA, bill copy)"


# The accepted_formats a requirement may name → the content types the files API reads from a file's bytes.
DOCUMENT_FORMATS = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png", "heic": "image/heic"}
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def _entries(value, *, noun: str, keys: tuple[str, ...], code_key: str, code_example: str, label_key: str):
    """The checks documents and fields share: a list of objects with known keys, each named by a unique
    lower-case code and labelled. Yields (where, entry) for the checks particular to each."""
    if not isinstance(value, list):
        raise ValidationError(f"A list of {noun}s.")
    seen = set()
    for index, entry in enumerate(value):
        where = f"{noun.capitalize()} {index + 1}"
        if not isinstance(entry, dict):
            raise ValidationError(f"{where}: an object with {', '.join(keys)}.")
        unknown = set(entry) - set(keys)
        if unknown:
            raise ValidationError(f"{where}: unknown keys {', '.join(sorted(unknown))}.")
        if not _CODE.fullmatch(str(entry.get(code_key, ""))):
            raise ValidationError(f"{where}: {code_key} must be a lower-case code such as {code_example}.")
        if entry[code_key] in seen:
            raise ValidationError(f"{where}: {code_key} {entry[code_key]} is listed twice.")
        seen.add(entry[code_key])
        if not str(entry.get(label_key, "")).strip():
            raise ValidationError(f"{where}: a {label_key} is required.")
        yield where, entry


def _validate_documents(value) -> None:
    for where, document in _entries(value, noun="document", code_key="type", code_example="proof_of_address",
                                    label_key="name",
                                    keys=("type", "name", "description", "accepted_formats", "source")):
        formats = document.get("accepted_formats")
        if not isinstance(formats, list) or not formats or set(formats) - set(DOCUMENT_FORMATS):
            raise ValidationError(f"{where}: accepted_formats must list some of {', '.join(DOCUMENT_FORMATS)}.")
        if document.get("source", DocumentSource.PROFILE) not in DocumentSource.values:
            raise ValidationError(f"{where}: source must be one of {', '.join(DocumentSource.values)}.")


def _validate_fields(value) -> None:
    for where, field in _entries(value, noun="field", code_key="name", code_example="postal_code",
                                 label_key="label", keys=("name", "label", "description", "pattern", "example")):
        try:
            re.compile(field.get("pattern") or "")
        except (re.error, TypeError):
            raise ValidationError(f"{where}: pattern is not a valid regular expression.") from None
        example = field.get("example")
        if example and field.get("pattern") and not re.fullmatch(field["pattern"], example):
            raise ValidationError(f"{where}: the example does not match the pattern.")


class RegulatoryRequirement(models.Model):
    """What one country asks for one line type and action: documents and fields. Shipped as data
    (migration 0013), edited by staff in the console. No row means nothing is required."""

    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2.")
    line_type = models.CharField(max_length=10, choices=LineType.choices)
    action = models.CharField(max_length=10, choices=ComplianceAction.choices)
    documents = models.JSONField(default=list, blank=True, validators=[_validate_documents], help_text=(
        'A list of {"type", "name", "description", "accepted_formats": ["pdf", "jpeg", "png"], '
        '"source": "profile" | "port_request"}.'))
    fields = models.JSONField(default=list, blank=True, validators=[_validate_fields], help_text=(
        'A list of {"name", "label", "description", "pattern" (a regular expression the whole value must '
        'match), "example"}.'))
    note = models.CharField(max_length=300, blank=True, default="", help_text="The rule and its authority.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "line_type", "action"]
        constraints = [models.UniqueConstraint(fields=["country", "line_type", "action"],
                                               name="one_requirement_per_pool_action",
                                               violation_error_message="This country, line type and action "
                                                                       "has a requirement already.")]

    def __str__(self) -> str:
        return f"{self.country} {self.get_line_type_display()} · {self.get_action_display()}"

    @property
    def profile_documents(self) -> list[dict]:
        """Documents a compliance profile must hold (not the ones given with each port request)."""
        return [d for d in self.documents if d.get("source", DocumentSource.PROFILE) == DocumentSource.PROFILE]

    @property
    def request_documents(self) -> list[dict]:
        return [d for d in self.documents if d.get("source") == DocumentSource.PORT_REQUEST]

    @property
    def regulated(self) -> bool:
        """Requires anything at all."""
        return bool(self.documents or self.fields)

    @property
    def profile_required(self) -> bool:
        """Requires something only an approved compliance profile can bring."""
        return bool(self.fields or self.profile_documents)


class ComplianceProfile(models.Model):
    """An organisation's regulatory bundle for one country: values of the required fields and the
    documents, covering some line types and actions. draft → submitted → approved | rejected;
    an approved profile past ``valid_until`` is expired."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted (pending review)"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    EDITABLE_STATUSES = (Status.DRAFT, Status.REJECTED)

    id = models.CharField(primary_key=True, max_length=32, default=new_compliance_profile_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="compliance_profiles")
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 country this profile covers.")
    line_types = models.JSONField(default=list, help_text="Line types covered: local, mobile, toll_free.")
    actions = models.JSONField(default=list, help_text="Actions covered: purchase, port_in.")
    fields = models.JSONField(default=dict, blank=True, help_text="Values of the required fields, by name.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    rejection_reason = models.CharField(max_length=1000, blank=True, default="")
    valid_until = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("review_complianceprofile", "Can approve or reject compliance profiles")]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="cp_org_recent"),
            models.Index(fields=["status", "submitted_at"], name="cp_review_queue"),
            models.Index(fields=["valid_until"], name="cp_approved_expiry", condition=Q(status="approved")),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country}, {self.status})"

    def is_current(self, now: datetime | None = None) -> bool:
        """Approved and not past its validity (whether or not the expiry sweep has run)."""
        now = now or timezone.now()
        return self.status == self.Status.APPROVED and (self.valid_until is None or self.valid_until > now)

    def covers(self, country: str, line_type: str, action: str = ComplianceAction.PURCHASE,
               now: datetime | None = None) -> bool:
        return (self.is_current(now) and self.country == country and line_type in self.line_types
                and action in self.actions)

    def matches(self, country: str, line_type: str, action: str) -> bool:
        """Meant for this pool and action, whatever its status."""
        return self.country == country and line_type in self.line_types and action in self.actions

    def effective_status(self, now: datetime | None = None) -> str:
        if self.status == self.Status.APPROVED and not self.is_current(now):
            return self.Status.EXPIRED
        return self.status


class ComplianceDocument(models.Model):
    """One document of a profile: a file uploaded through the files API, of a type the table names."""

    profile = models.ForeignKey(ComplianceProfile, on_delete=models.CASCADE, related_name="documents")
    document_type = models.CharField(max_length=40)
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document_type", "id"]
        constraints = [models.UniqueConstraint(fields=["profile", "document_type"],
                                               name="one_document_per_type_per_profile")]

    def __str__(self) -> str:
        return f"{self.document_type}: {self.file_id}"
