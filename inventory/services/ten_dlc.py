"""US 10DLC registration: tenants create brands and campaigns, submit them, and the registry vets
them (``pending`` → ``verified`` or ``rejected``) through the adapter of ORBIT["TEN_DLC_PROVIDER"].

Submission never calls the carrier inside a transaction: one transaction records the registration
``pending`` (``submitted_at`` marks this submission), the adapter is called with none open, and a
second transaction applies the answer only if the registration is still that submission. A call
that fails retryably leaves it ``pending`` without a registry reference; the refresh job
(``ten_dlc_vetting_refresh``, beat + ``manage.py refresh_ten_dlc_vetting``) submits it again and
polls the ones the registry holds. When vetting finishes the organisation hears of it
(``brand.status_changed`` / ``campaign.status_changed`` and a mail to its contact).

What the rest of the system reads stays coherent: a verified brand gets the registry's identity
(VERIFIED or VETTED_VERIFIED; UNVERIFIED when rejected), a verified campaign becomes ACTIVE (REJECTED
when rejected), so ``campaign_resolve`` and the readiness checks need no change.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orbit_numbers.errors import Conflict, NotFound, ProviderError, ValidationFailed
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.notifications import organization_notify
from orbit_numbers.services import audit_record

from ..models import Brand, BrandEntityType, Campaign, CampaignUseCase, RegistrationStatus
from ..models.ten_dlc import STOCK_EXCHANGES
from ..providers import get_adapter
from ..providers.base import TenDlcBrandData, TenDlcCampaignData, TenDlcVetting
from .carriers import carrier_failure_record

logger = logging.getLogger(__name__)

BRAND_FIELDS = ("name", "legal_name", "entity_type", "tax_id", "tax_id_country", "vertical", "website", "country",
                "street", "city", "state", "postal_code", "contact_email", "contact_phone", "stock_symbol",
                "stock_exchange")
CAMPAIGN_FIELDS = ("name", "use_case", "description", "message_flow", "sample_messages", "opt_in_keywords",
                   "opt_in_message", "opt_out_keywords", "opt_out_message", "help_keywords", "help_message",
                   "embedded_link", "embedded_phone", "number_pool", "age_gated", "direct_lending")
SUBMITTABLE = (RegistrationStatus.DRAFT, RegistrationStatus.REJECTED)
SAMPLE_MESSAGES_MAX = 5
KEYWORD = re.compile(r"^[A-Z0-9]{1,15}$")
_URL_IN_TEXT = re.compile(r"(https?://|www\.)\S+|\b[a-z0-9-]+\.(com|net|org|io|co|us|ly|me)\b", re.IGNORECASE)
_US_EIN = re.compile(r"^\d{2}-?\d{7}$")
_TAX_ID = re.compile(r"^[A-Za-z0-9-]{1,21}$")
_US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


# --- validation ---------------------------------------------------------------------------------


def _text(fields: dict, name: str) -> str:
    value = fields.get(name)
    return "" if value is None else str(value).strip()


def brand_fields_clean(fields: dict) -> dict:
    """The registry's rules for a brand, every problem at once (422 VALIDATION_ERROR, details per field)."""
    data = {name: _text(fields, name) for name in BRAND_FIELDS}
    data["entity_type"] = data["entity_type"].upper()
    data["country"] = data["country"].upper()
    data["tax_id_country"] = (data["tax_id_country"] or data["country"]).upper()
    data["stock_exchange"] = data["stock_exchange"].upper()
    data["stock_symbol"] = data["stock_symbol"].upper()
    problems: dict[str, str] = {}
    for name in ("name", "legal_name", "entity_type", "vertical", "country", "contact_email"):
        if not data[name]:
            problems[name] = "required"
    if data["entity_type"] and data["entity_type"] not in BrandEntityType.values:
        problems["entity_type"] = f"must be one of {', '.join(BrandEntityType.values)}"
    sole = data["entity_type"] == BrandEntityType.SOLE_PROPRIETOR
    if sole:
        if data["tax_id"]:
            problems["tax_id"] = "a SOLE_PROPRIETOR brand has no tax id (register a company type to give one)"
    elif not data["tax_id"]:
        problems.setdefault("tax_id", "required (the EIN for US companies) unless entity_type is SOLE_PROPRIETOR")
    elif data["tax_id_country"] == "US":
        if not _US_EIN.match(data["tax_id"]):
            problems["tax_id"] = "a US EIN is 9 digits, e.g. 12-3456789"
        else:
            digits = data["tax_id"].replace("-", "")
            data["tax_id"] = f"{digits[:2]}-{digits[2:]}"
    elif not _TAX_ID.match(data["tax_id"]):
        problems["tax_id"] = "1-21 letters, digits or hyphens"
    for name in ("country", "tax_id_country"):
        if data[name] and data[name] not in phonenumbers.SUPPORTED_REGIONS:
            problems[name] = "must be an ISO 3166-1 alpha-2 country code"
    if data["entity_type"] == BrandEntityType.PUBLIC_PROFIT:
        if not data["stock_symbol"]:
            problems["stock_symbol"] = "required for a PUBLIC_PROFIT brand"
        if data["stock_exchange"] not in STOCK_EXCHANGES:
            problems["stock_exchange"] = f"required for a PUBLIC_PROFIT brand: one of {', '.join(STOCK_EXCHANGES)}"
    elif data["stock_symbol"] or data["stock_exchange"]:
        problems["stock_symbol"] = "only a PUBLIC_PROFIT brand is listed on a stock exchange"
    if data["website"]:
        try:
            URLValidator(schemes=["http", "https"])(data["website"])
        except DjangoValidationError:
            problems["website"] = "must be an http(s) URL, e.g. https://example.com"
    elif not sole:
        problems["website"] = "required: the registry checks the company's public website"
    if data["contact_email"]:
        try:
            EmailValidator()(data["contact_email"])
        except DjangoValidationError:
            problems["contact_email"] = "must be an email address"
    if data["contact_phone"]:
        try:
            parsed = phonenumbers.parse(data["contact_phone"], None)
            valid = phonenumbers.is_valid_number(parsed) and phonenumbers.format_number(
                parsed, phonenumbers.PhoneNumberFormat.E164) == data["contact_phone"]
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            problems["contact_phone"] = "must be a valid E.164 number such as +14155550100"
    elif sole:
        problems["contact_phone"] = "required for a SOLE_PROPRIETOR brand (the registry sends it a one-time code)"
    if data["country"] == "US" and data["postal_code"] and not _US_ZIP.match(data["postal_code"]):
        problems["postal_code"] = "a US ZIP code is 5 digits or ZIP+4 (12345-6789)"
    if problems:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in problems.items()), details=problems)
    return data


def _keywords(value, name: str, problems: dict, *, required: str | None = None) -> list[str]:
    if value in (None, ""):
        words: list[str] = []
    elif isinstance(value, str):
        words = [w.strip() for w in value.split(",")]
    else:
        words = [str(w).strip() for w in value]
    words = list(dict.fromkeys(w.upper() for w in words if w))
    if any(not KEYWORD.match(w) for w in words):
        problems[name] = "keywords are 1-15 letters or digits each"
    elif len(words) > 20:
        problems[name] = "at most 20 keywords"
    elif required and required not in words:
        problems[name] = f"must include {required}"
    return words


def campaign_fields_clean(fields: dict) -> dict:
    """The registry's rules for a campaign, every problem at once."""
    problems: dict[str, str] = {}
    data = {name: _text(fields, name) for name in ("name", "use_case", "description", "message_flow",
                                                   "opt_in_message", "opt_out_message", "help_message")}
    for name in ("embedded_link", "embedded_phone", "number_pool", "age_gated", "direct_lending"):
        data[name] = bool(fields.get(name, False))
    for name in ("name", "use_case", "description", "message_flow", "opt_out_message", "help_message"):
        if not data[name]:
            problems[name] = "required"
    if data["use_case"] and data["use_case"] not in CampaignUseCase.values:
        problems["use_case"] = f"must be one of {', '.join(CampaignUseCase.values)}"
    if data["description"] and len(data["description"]) < 40:
        problems["description"] = "at least 40 characters: what the campaign sends, to whom and why"
    if data["message_flow"] and len(data["message_flow"]) < 40:
        problems["message_flow"] = "at least 40 characters: how subscribers opt in (web form, keyword, paper …)"
    samples = fields.get("sample_messages") or []
    if isinstance(samples, str) or not isinstance(samples, (list, tuple)):
        problems["sample_messages"] = f"an array of 1-{SAMPLE_MESSAGES_MAX} messages"
        samples = []
    samples = [str(s).strip() for s in samples]
    if "sample_messages" not in problems:
        if not 1 <= len(samples) <= SAMPLE_MESSAGES_MAX:
            problems["sample_messages"] = f"1-{SAMPLE_MESSAGES_MAX} sample messages"
        elif any(not 20 <= len(s) <= 1024 for s in samples):
            problems["sample_messages"] = "each sample message is 20-1024 characters"
        elif not data["embedded_link"] and any(_URL_IN_TEXT.search(s) for s in samples):
            problems["sample_messages"] = "a sample message contains a link: set embedded_link to true"
    data["sample_messages"] = samples
    data["opt_in_keywords"] = _keywords(fields.get("opt_in_keywords"), "opt_in_keywords", problems)
    data["opt_out_keywords"] = _keywords(fields.get("opt_out_keywords", ["STOP"]), "opt_out_keywords", problems,
                                         required="STOP")
    data["help_keywords"] = _keywords(fields.get("help_keywords", ["HELP"]), "help_keywords", problems,
                                      required="HELP")
    if data["opt_in_keywords"] and not data["opt_in_message"]:
        problems["opt_in_message"] = "required when opt_in_keywords are given (the confirmation subscribers get)"
    if data["opt_out_message"] and "STOP" not in data["opt_out_message"].upper() and not any(
            w in data["opt_out_message"].lower() for w in ("unsubscribed", "opted out", "no more")):
        problems["opt_out_message"] = "must confirm the opt-out (e.g. \"You are unsubscribed and will receive no more " \
                                      "messages.\")"
    if data["help_message"] and len(data["help_message"]) < 20:
        problems["help_message"] = "at least 20 characters: who you are and how to get support"
    if data["use_case"] == "2FA" and data["embedded_link"]:
        problems["embedded_link"] = "2FA campaigns send codes, not links"
    if problems:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in problems.items()), details=problems)
    return data


# --- snapshots and adapter data -----------------------------------------------------------------


def _brand_snapshot(brand: Brand) -> dict:
    return {"registration_status": brand.registration_status, "identity_status": brand.identity_status,
            "provider_ref": brand.provider_ref or None, "rejection_code": brand.rejection_code or None}


def _campaign_snapshot(campaign: Campaign) -> dict:
    return {"registration_status": campaign.registration_status, "status": campaign.status,
            "provider_ref": campaign.provider_ref or None, "rejection_code": campaign.rejection_code or None}


def brand_data(brand: Brand) -> TenDlcBrandData:
    return TenDlcBrandData(
        display_name=brand.name, legal_name=brand.legal_name, entity_type=brand.entity_type, vertical=brand.vertical,
        country=brand.country, email=brand.contact_email, phone=brand.contact_phone, tax_id=brand.tax_id,
        tax_id_country=brand.tax_id_country, website=brand.website, street=brand.street, city=brand.city,
        state=brand.state, postal_code=brand.postal_code, stock_symbol=brand.stock_symbol,
        stock_exchange=brand.stock_exchange, customer_reference=brand.pk)


def campaign_data(campaign: Campaign) -> TenDlcCampaignData:
    return TenDlcCampaignData(
        use_case=campaign.use_case, description=campaign.description,
        sample_messages=tuple(campaign.sample_messages), message_flow=campaign.message_flow,
        opt_in_keywords=tuple(campaign.opt_in_keywords), opt_in_message=campaign.opt_in_message,
        opt_out_keywords=tuple(campaign.opt_out_keywords), opt_out_message=campaign.opt_out_message,
        help_keywords=tuple(campaign.help_keywords), help_message=campaign.help_message,
        embedded_link=campaign.embedded_link, embedded_phone=campaign.embedded_phone,
        number_pool=campaign.number_pool, age_gated=campaign.age_gated, direct_lending=campaign.direct_lending,
        customer_reference=campaign.pk)


# --- create -------------------------------------------------------------------------------------


@transaction.atomic
def brand_create(*, organization: Organization, fields: dict, acting_key: ApiKey | None = None,
                 acting_user=None) -> Brand:
    """A draft brand (not yet submitted to the registry)."""
    data = brand_fields_clean(fields)
    brand = Brand.objects.create(organization=organization, registration_status=RegistrationStatus.DRAFT,
                                 identity_status=Brand.IdentityStatus.PENDING, **data)
    audit_record(action="ten_dlc_brand.create", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=brand, after={**data, **_brand_snapshot(brand)})
    return brand


@transaction.atomic
def campaign_create(*, organization: Organization, brand_id: str, fields: dict, acting_key: ApiKey | None = None,
                    acting_user=None) -> Campaign:
    """A draft campaign of one of the organisation's brands (any status: it is submitted once the brand is
    verified)."""
    brand = Brand.objects.filter(organization=organization, pk=brand_id).first()
    problems = {}
    if brand is None:
        problems["brand_id"] = "no such brand in this organisation"
    try:
        data = campaign_fields_clean(fields)
    except ValidationFailed as exc:
        problems.update(exc.details or {})
    if problems:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in problems.items()), details=problems)
    campaign = Campaign.objects.create(organization=organization, brand=brand, status=Campaign.Status.PENDING,
                                       registration_status=RegistrationStatus.DRAFT, **data)
    audit_record(action="ten_dlc_campaign.create", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=campaign,
                 after={**data, "brand_id": brand.pk, **_campaign_snapshot(campaign)})
    return campaign


# --- edit (a draft, or a rejected registration being corrected before it is submitted again) -------

def _edit(model, *, organization: Organization, pk: str, changes: dict, names: tuple[str, ...], clean, kind: str,
          acting_key, acting_user):
    row = model.objects.select_for_update(of=("self",)).filter(organization=organization, pk=pk).first()
    if row is None:
        raise NotFound(f"No such {kind}.")
    if row.registration_status not in SUBMITTABLE:
        raise Conflict(f"The {kind} is {row.registration_status}: only a draft or rejected {kind} can be edited.",
                       details={"registration_status": row.registration_status})
    current = {name: getattr(row, name) for name in names}
    data = clean({**current, **changes})
    changed = {name: value for name, value in data.items() if current.get(name) != value}
    if changed:
        for name, value in changed.items():
            setattr(row, name, value)
        row.save(update_fields=[*changed, "updated_at"])
        audit_record(action=f"ten_dlc_{kind}.update", organization=organization, acting_key=acting_key,
                     acting_user=acting_user, target=row, before={name: current[name] for name in changed},
                     after=changed)
    return row


@transaction.atomic
def brand_update(*, organization: Organization, brand_id: str, changes: dict, acting_key: ApiKey | None = None,
                 acting_user=None) -> Brand:
    """Change a draft or rejected brand's fields (the registry's rules checked on the result); submit it again."""
    return _edit(Brand, organization=organization, pk=brand_id, changes=changes, names=BRAND_FIELDS,
                 clean=brand_fields_clean, kind="brand", acting_key=acting_key, acting_user=acting_user)


@transaction.atomic
def campaign_update(*, organization: Organization, campaign_id: str, changes: dict,
                    acting_key: ApiKey | None = None, acting_user=None) -> Campaign:
    """Change a draft or rejected campaign's fields (not its brand); submit it again."""
    return _edit(Campaign, organization=organization, pk=campaign_id, changes=changes, names=CAMPAIGN_FIELDS,
                 clean=campaign_fields_clean, kind="campaign", acting_key=acting_key, acting_user=acting_user)


# --- submit (record pending, call the adapter outside any transaction, record the answer) ---------


def _provider() -> str:
    return settings.ORBIT["TEN_DLC_PROVIDER"]


def _mark_submitted(row, now: datetime) -> None:
    row.registration_status = RegistrationStatus.PENDING
    row.provider, row.provider_ref = _provider(), ""
    row.rejection_code = row.rejection_reason = row.last_error = ""
    row.submitted_at, row.vetted_at, row.last_polled_at = now, None, None


@transaction.atomic
def _brand_submission_record(*, organization: Organization, brand_id: str, acting_key, acting_user) -> Brand:
    brand = (Brand.objects.select_for_update(of=("self",)).select_related("organization")
             .filter(organization=organization, pk=brand_id).first())
    if brand is None:
        raise NotFound("No such brand.")
    if brand.registration_status not in SUBMITTABLE:
        raise Conflict(f"The brand is {brand.registration_status}; only a draft or rejected brand can be submitted.")
    brand_fields_clean({name: getattr(brand, name) for name in BRAND_FIELDS})  # e.g. made by staff, incomplete
    before = _brand_snapshot(brand)
    _mark_submitted(brand, timezone.now())
    brand.identity_status = Brand.IdentityStatus.PENDING
    brand.save()
    audit_record(action="ten_dlc_brand.submit", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=brand, before=before, after=_brand_snapshot(brand))
    return brand


def brand_submit(*, organization: Organization, brand_id: str, acting_key: ApiKey | None = None,
                 acting_user=None) -> Brand:
    """Submit a draft (or rejected) brand for vetting; answers it ``pending`` (or already decided).
    Not @transaction.atomic: the registry call runs between two transactions."""
    brand = _brand_submission_record(organization=organization, brand_id=brand_id, acting_key=acting_key,
                                     acting_user=acting_user)
    return _brand_send(brand)


def _brand_send(brand: Brand) -> Brand:
    try:
        vetting = get_adapter(brand.provider).submit_ten_dlc_brand(brand=brand_data(brand))
    except ProviderError as exc:
        return _brand_apply(brand.pk, brand.submitted_at, error=exc, operation="ten_dlc_brand_submit")
    return _brand_apply(brand.pk, brand.submitted_at, vetting=vetting)


@transaction.atomic
def _campaign_submission_record(*, organization: Organization, campaign_id: str, acting_key,
                                acting_user) -> Campaign:
    campaign = (Campaign.objects.select_for_update(of=("self",)).select_related("brand", "organization")
                .filter(organization=organization, pk=campaign_id).first())
    if campaign is None:
        raise NotFound("No such campaign.")
    if campaign.registration_status not in SUBMITTABLE:
        raise Conflict(f"The campaign is {campaign.registration_status}; only a draft or rejected campaign can be "
                       "submitted.")
    brand = campaign.brand
    if brand.registration_status == RegistrationStatus.VERIFIED and not brand.provider_ref:
        raise Conflict(f"The campaign's brand {brand.pk} was vetted outside Orbit and has no registry reference: "
                       "register the brand through the API, or ask support to submit the campaign.",
                       details={"brand_id": brand.pk, "brand_status": brand.registration_status})
    if brand.registration_status != RegistrationStatus.VERIFIED:
        raise Conflict(f"The campaign's brand {brand.pk} is {brand.registration_status}: a campaign is submitted "
                       "once its brand is verified through POST /api/v1/10dlc/brands/{id}/submit.",
                       details={"brand_id": brand.pk, "brand_status": brand.registration_status})
    campaign_fields_clean({name: getattr(campaign, name) for name in CAMPAIGN_FIELDS})
    before = _campaign_snapshot(campaign)
    _mark_submitted(campaign, timezone.now())
    campaign.status = Campaign.Status.PENDING
    campaign.save()
    audit_record(action="ten_dlc_campaign.submit", organization=organization, acting_key=acting_key,
                 acting_user=acting_user, target=campaign, before=before, after=_campaign_snapshot(campaign))
    return campaign


def campaign_submit(*, organization: Organization, campaign_id: str, acting_key: ApiKey | None = None,
                    acting_user=None) -> Campaign:
    """Submit a draft (or rejected) campaign of a verified brand for vetting."""
    campaign = _campaign_submission_record(organization=organization, campaign_id=campaign_id,
                                           acting_key=acting_key, acting_user=acting_user)
    return _campaign_send(campaign)


def _campaign_send(campaign: Campaign) -> Campaign:
    try:
        vetting = get_adapter(campaign.provider).submit_ten_dlc_campaign(
            campaign=campaign_data(campaign), brand_reference=campaign.brand.provider_ref)
    except ProviderError as exc:
        return _campaign_apply(campaign.pk, campaign.submitted_at, error=exc, operation="ten_dlc_campaign_submit")
    return _campaign_apply(campaign.pk, campaign.submitted_at, vetting=vetting)


# --- applying the registry's answer ---------------------------------------------------------------


def _settle(row, *, vetting: TenDlcVetting | None, error: ProviderError | None, now: datetime) -> None:
    """Registration fields from an answer; a retryable failure leaves the row pending for the job."""
    row.last_polled_at = now
    if error is not None:
        row.last_error = error.message[:255]
        if error.retryable:
            return
        row.registration_status = RegistrationStatus.REJECTED
        row.rejection_code = (error.provider_code or "REFUSED")[:40]
        row.rejection_reason = error.message[:500]
        row.vetted_at = now
        return
    row.last_error = ""
    row.provider_ref = (vetting.reference or row.provider_ref)[:100]
    if vetting.status == "verified":
        row.registration_status, row.vetted_at = RegistrationStatus.VERIFIED, now
    elif vetting.status == "rejected":
        row.registration_status, row.vetted_at = RegistrationStatus.REJECTED, now
        row.rejection_code = (vetting.reject_code or "REJECTED")[:40]
        row.rejection_reason = (vetting.reject_reason or "The registry rejected the registration.")[:500]


def _notify(row, *, kind: str, previous: str) -> None:
    label = "brand" if kind == "brand" else "campaign"
    verdict = row.registration_status
    reason = f"\nReason: {row.rejection_reason}" if verdict == RegistrationStatus.REJECTED else ""
    next_step = ("You can now submit campaigns of this brand." if kind == "brand" else
                 "Numbers can now be attached to it (campaign_id).") if verdict == RegistrationStatus.VERIFIED else \
        f"Correct it and submit the {label} again."
    organization_notify(
        organization=row.organization,
        event_type="brand.status_changed" if kind == "brand" else "campaign.status_changed",
        data={f"{kind}_id": row.pk, "status": verdict, "previous_status": previous},
        subject=f"10DLC {label} {row.name}: {verdict}",
        body=f"The vetting of your 10DLC {label} {row.name} ({row.pk}) finished: {verdict}.{reason}\n{next_step}")


def _brand_apply(brand_id: str, submitted_at, *, vetting: TenDlcVetting | None = None,
                 error: ProviderError | None = None, operation: str = "ten_dlc_brand_status",
                 acting_user=None) -> Brand | None:
    now = timezone.now()
    with transaction.atomic():
        brand = (Brand.objects.select_for_update(of=("self",)).select_related("organization")
                 .filter(pk=brand_id).first())
        if error is not None:  # this transaction commits whatever the answer is about
            carrier_failure_record(provider=_provider(), operation=operation, code=error.provider_code or "",
                                   message=error.message, organization=brand.organization if brand else None)
        if brand is None or brand.registration_status != RegistrationStatus.PENDING or \
                brand.submitted_at != submitted_at:
            return brand  # a newer submission (or staff) decided meanwhile: this answer is about nothing current
        before = _brand_snapshot(brand)
        _settle(brand, vetting=vetting, error=error, now=now)
        if brand.registration_status == RegistrationStatus.VERIFIED:
            identity = vetting.identity_status if vetting and vetting.identity_status in Brand.VERIFIED_STATUSES \
                else Brand.IdentityStatus.VERIFIED
            brand.identity_status = identity
        elif brand.registration_status == RegistrationStatus.REJECTED:
            brand.identity_status = Brand.IdentityStatus.UNVERIFIED
        brand.save()
        if brand.registration_status != before["registration_status"]:
            audit_record(action="ten_dlc_brand.vetted", organization=brand.organization, acting_user=acting_user,
                         target=brand, before=before, after={**_brand_snapshot(brand),
                                                             "rejection_reason": brand.rejection_reason or None})
            _notify(brand, kind="brand", previous=before["registration_status"])
        return brand


def _campaign_apply(campaign_id: str, submitted_at, *, vetting: TenDlcVetting | None = None,
                    error: ProviderError | None = None, operation: str = "ten_dlc_campaign_status",
                    acting_user=None) -> Campaign | None:
    now = timezone.now()
    with transaction.atomic():
        campaign = (Campaign.objects.select_for_update(of=("self",)).select_related("organization", "brand")
                    .filter(pk=campaign_id).first())
        if error is not None:
            carrier_failure_record(provider=_provider(), operation=operation, code=error.provider_code or "",
                                   message=error.message, organization=campaign.organization if campaign else None)
        if campaign is None or campaign.registration_status != RegistrationStatus.PENDING or \
                campaign.submitted_at != submitted_at:
            return campaign
        before = _campaign_snapshot(campaign)
        _settle(campaign, vetting=vetting, error=error, now=now)
        if campaign.registration_status == RegistrationStatus.VERIFIED:
            campaign.status = Campaign.Status.ACTIVE
        elif campaign.registration_status == RegistrationStatus.REJECTED:
            campaign.status = Campaign.Status.REJECTED
        campaign.save()
        if campaign.registration_status != before["registration_status"]:
            audit_record(action="ten_dlc_campaign.vetted", organization=campaign.organization,
                         acting_user=acting_user, target=campaign, before=before,
                         after={**_campaign_snapshot(campaign),
                                "rejection_reason": campaign.rejection_reason or None})
            _notify(campaign, kind="campaign", previous=before["registration_status"])
        return campaign


# --- refreshing pending registrations (beat job, command, console) ----------------------------------


def brand_vetting_refresh(*, brand_id: str, acting_user=None) -> Brand | None:
    """Ask the registry about one pending brand (submit it again if the registry never took it)."""
    brand = Brand.objects.filter(pk=brand_id).first()
    if brand is None or brand.registration_status != RegistrationStatus.PENDING:
        return brand
    if not brand.provider_ref:
        return _brand_send(brand)
    try:
        vetting = get_adapter(brand.provider or _provider()).ten_dlc_brand_status(reference=brand.provider_ref)
    except ProviderError as exc:
        return _brand_apply(brand.pk, brand.submitted_at, error=_poll_error(exc), acting_user=acting_user)
    return _brand_apply(brand.pk, brand.submitted_at, vetting=vetting, acting_user=acting_user)


def campaign_vetting_refresh(*, campaign_id: str, acting_user=None) -> Campaign | None:
    campaign = Campaign.objects.select_related("brand").filter(pk=campaign_id).first()
    if campaign is None or campaign.registration_status != RegistrationStatus.PENDING:
        return campaign
    if not campaign.provider_ref:
        return _campaign_send(campaign)
    try:
        vetting = get_adapter(campaign.provider or _provider()).ten_dlc_campaign_status(
            reference=campaign.provider_ref)
    except ProviderError as exc:
        return _campaign_apply(campaign.pk, campaign.submitted_at, error=_poll_error(exc), acting_user=acting_user)
    return _campaign_apply(campaign.pk, campaign.submitted_at, vetting=vetting, acting_user=acting_user)


def _poll_error(exc: ProviderError) -> ProviderError:
    """A failed status read decides nothing: the registration stays pending and is asked again."""
    return ProviderError(exc.message, provider_code=exc.provider_code, retryable=True)


@dataclass
class VettingRefreshResult:
    polled: int = 0
    verified: int = 0
    rejected: int = 0
    pending: int = 0
    errors: int = 0


def ten_dlc_vetting_refresh(*, limit: int = 200, acting_user=None) -> VettingRefreshResult:
    """The beat job: every pending brand, then every pending campaign, least recently polled first.
    Each registry call runs with no transaction open; one failing registration does not stop the rest."""
    result = VettingRefreshResult()
    order = (F("last_polled_at").asc(nulls_first=True), "pk")
    work = [(brand_vetting_refresh, "brand_id", pk) for pk in Brand.objects.filter(
        registration_status=RegistrationStatus.PENDING).order_by(*order).values_list("pk", flat=True)[:limit]]
    work += [(campaign_vetting_refresh, "campaign_id", pk) for pk in Campaign.objects.filter(
        registration_status=RegistrationStatus.PENDING).order_by(*order).values_list("pk", flat=True)[:limit]]
    for refresh, key, pk in work:
        try:
            row = refresh(**{key: pk}, acting_user=acting_user)
        except Exception:  # one bad registration must not stop the sweep
            result.errors += 1
            logger.warning("Refreshing 10DLC vetting of %s failed", pk, exc_info=True)
            continue
        result.polled += 1
        status = row.registration_status if row is not None else None
        result.verified += status == RegistrationStatus.VERIFIED
        result.rejected += status == RegistrationStatus.REJECTED
        result.pending += status == RegistrationStatus.PENDING
        if row is not None and row.last_error and status == RegistrationStatus.PENDING:
            result.errors += 1
    return result


# --- campaign_id on purchases (the same rule assign orders apply) ------------------------------------


def campaign_scope_check(*, campaign: Campaign | None, rows) -> None:
    """10DLC covers US local numbers only: any other row refuses the whole request (422 on campaign_id)."""
    from .orders import CAMPAIGN_COUNTRIES, CAMPAIGN_LINE_TYPES  # orders imports the checkout engine

    if campaign is None:
        return
    outside = [row.e164 for row in rows
               if row.country not in CAMPAIGN_COUNTRIES or row.line_type not in CAMPAIGN_LINE_TYPES]
    if outside:
        raise ValidationFailed.field("campaign_id", "10DLC campaigns apply to US local numbers only, not "
                                                    + ", ".join(outside))
