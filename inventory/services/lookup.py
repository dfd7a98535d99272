"""Paid number lookups and CNAM dips: one engine (cache, preflight, carrier call, charge, log) for both.

A request's fields are served from the organisation's own cache first (what another tenant paid
for is never reused); the rest are fetched from the carrier outside any transaction, after a wallet
preflight (402 before the carrier is asked). Then one short transaction records the request and
charges what the carrier answered, one ledger line per request; if the wallet can no longer pay,
it is 402 and nothing is recorded or cached. Only after that commit do the new answers enter the
cache, so a field is cached only once it was paid for. A carrier failure is 503 and charges nothing.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Callable

import phonenumbers
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from phonenumbers import carrier as pn_carrier
from rest_framework import serializers

from billing.models import LedgerEntry
from billing.services import Charge, wallet_charge, wallet_preflight
from orbit_numbers.api.serializers import parse_e164
from orbit_numbers.errors import CarrierUnavailable, ProviderError, ValidationFailed
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_record

from ..models import NumberLookup
from ..providers import get_adapter
from ..providers.base import LOOKUP_FIELDS, CarrierAdapter, NumberLookupResult, plan_line_type
from .carriers import carrier_failure_record

logger = logging.getLogger(__name__)

DEFAULT_LOOKUP_FIELDS = ("carrier", "line_type")
SIM_SWAP_DEFAULT_DAYS, SIM_SWAP_MAX_DAYS = 7, 365
CALLER_NAME = "caller_name"  # the one field of a CNAM dip
# Where the numbering plan cannot tell the line type (US/CA numbers), the carrier's reading is asked for.
_PLAN_UNDECIDED = {"fixed_line_or_mobile", "unknown"}
_MOBILE_ONLY = ("sim_swap", "roaming")
_CACHE_VERSION = "v1"


@dataclass(frozen=True)
class FieldAnswer:
    value: dict | None  # None: no answer for this number (then ``reason`` says why); never charged
    reason: str = ""


@dataclass(frozen=True)
class _Product:
    kind: str
    ledger_kind: str
    label: str

    def price(self, field: str) -> int:
        if self.kind == NumberLookup.Kind.CNAM_DIP:
            return int(settings.ORBIT["CNAM_DIP_PRICE_CENTS"])
        return int(settings.ORBIT["LOOKUP_PRICES_CENTS"][field])


LOOKUP = _Product(NumberLookup.Kind.LOOKUP, LedgerEntry.Kind.LOOKUP_FEE, "Number lookup")
CNAM_DIP = _Product(NumberLookup.Kind.CNAM_DIP, LedgerEntry.Kind.CNAM_DIP_FEE, "CNAM dip")


@dataclass(frozen=True)
class Served:
    """What the engine did for one request."""

    record: NumberLookup
    answers: dict[str, FieldAnswer]
    cached_fields: list[str]
    charged_fields: list[str]
    charged_cents: int
    carrier_asked: bool

    @property
    def cached(self) -> bool:
        """Everything came from the cache (or the numbering plan): the carrier was not asked."""
        return bool(self.cached_fields) and not self.carrier_asked


def lookup_cache_key(*, organization_id: str, e164: str, field: str) -> str:
    return f"lookup:{_CACHE_VERSION}:{organization_id}:{e164}:{field}"


Fetch = Callable[[CarrierAdapter, tuple[str, ...]], dict[str, FieldAnswer]]


def _serve(*, product: _Product, organization: Organization, e164: str, fields: list[str],
           local: dict[str, FieldAnswer], fetch: Fetch, acting_user, acting_key: ApiKey | None) -> Served:
    """Answer ``fields``: ``local`` ones as given (free, not cached), the others from the cache or,
    failing that, from the carrier (then charged)."""
    remote = [name for name in fields if name not in local]
    keys = {name: lookup_cache_key(organization_id=organization.pk, e164=e164, field=name) for name in remote}
    hits = cache.get_many(list(keys.values())) if keys else {}
    cached = {name: FieldAnswer(hits[keys[name]]) for name in remote if keys[name] in hits}
    wanted = tuple(name for name in remote if name not in cached)
    wallet_preflight(organization=organization, amount_cents=sum(product.price(name) for name in wanted))
    fetched: dict[str, FieldAnswer] = {}
    provider = ""
    if wanted:
        provider = settings.ORBIT["LOOKUP_PROVIDER"]
        try:
            answered = fetch(get_adapter(provider), wanted)
        except ProviderError as exc:
            carrier_failure_record(provider=provider, operation=product.kind, e164=e164, code=exc.provider_code or "",
                                   message=exc.message, organization=organization)
            raise CarrierUnavailable(
                f"The carrier could not answer this {product.label.lower()} ({exc.provider_code or 'no answer'}); "
                "nothing was charged. Try again shortly.", headers={"Retry-After": "30"}) from None
        fetched = {name: answered.get(name) or FieldAnswer(None, "the carrier gave no answer for this number")
                   for name in wanted}
    charged_fields = [name for name in wanted if fetched[name].value is not None and product.price(name) > 0]
    charged_cents = sum(product.price(name) for name in charged_fields)
    record = _record(product=product, organization=organization, e164=e164, fields=fields,
                     cached_fields=list(cached), charged_fields=charged_fields, charged_cents=charged_cents,
                     provider=provider, acting_user=acting_user, acting_key=acting_key)
    fresh = {keys[name]: answer.value for name, answer in fetched.items() if answer.value is not None}
    if fresh:
        cache.set_many(fresh, timeout=settings.ORBIT["LOOKUP_CACHE_SECONDS"])
    return Served(record=record, answers={**local, **cached, **fetched}, cached_fields=list(cached),
                  charged_fields=charged_fields, charged_cents=charged_cents, carrier_asked=bool(wanted))


@transaction.atomic
def _record(*, product: _Product, organization: Organization, e164: str, fields: list[str],
            cached_fields: list[str], charged_fields: list[str], charged_cents: int, provider: str,
            acting_user, acting_key: ApiKey | None) -> NumberLookup:
    """The log row and its one ledger line, together or not at all (InsufficientCredit rolls both back)."""
    record = NumberLookup.objects.create(
        organization=organization, kind=product.kind, e164=e164, fields=fields, cached_fields=cached_fields,
        charged_fields=charged_fields, charged_cents=charged_cents, provider=provider,
        api_key=acting_key if isinstance(acting_key, ApiKey) else None)
    if charged_cents:
        wallet_charge(organization=organization, acting_user=acting_user, acting_key=acting_key, charges=[Charge(
            kind=product.ledger_kind, amount_cents=charged_cents, reference=f"lookup:{record.pk}",
            description=f"{product.label} of {e164}: {', '.join(charged_fields)}")])
    audit_record(action=f"number.{product.kind}", organization=organization, acting_user=acting_user,
                 acting_key=acting_key, target=record,
                 after={"e164": e164, "fields": fields, "cached_fields": cached_fields,
                        "charged_fields": charged_fields, "charged_cents": charged_cents})
    return record


def _parsed(e164: str) -> phonenumbers.PhoneNumber:
    try:
        return parse_e164(e164)
    except serializers.ValidationError as exc:
        raise ValidationFailed.field("e164", str(exc.detail[0])) from None


# --- number lookup ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberLookupAnswer:
    """A lookup as the API answers it (rendered by inventory.api.lookup.NumberLookupAnswerSerializer)."""

    served: Served
    phone_number: str
    country: str
    national_format: str
    fields: list[str]
    sim_swap_days: int

    def value(self, name: str) -> dict | None:
        answer = self.served.answers.get(name)
        return answer.value if answer is not None else None

    @property
    def lookup_id(self) -> str:
        return self.served.record.pk

    @property
    def carrier(self) -> dict | None:
        return self.value("carrier")

    @property
    def line_type(self) -> str | None:
        value = self.value("line_type")
        return value["line_type"] if value else None

    @property
    def portability(self) -> dict | None:
        return self.value("portability")

    @property
    def sim_swap(self) -> dict | None:
        value = self.value("sim_swap")
        if value is None:
            return None
        last = value["last_swap_at"]
        recent = last is not None and last >= timezone.now() - timedelta(days=self.sim_swap_days)
        return {"last_swap_at": last, "swapped_within_days": self.sim_swap_days, "swapped_recently": recent}

    @property
    def roaming(self) -> dict | None:
        return self.value("roaming")

    @property
    def unavailable(self) -> dict[str, str]:
        return {name: answer.reason for name, answer in self.served.answers.items() if answer.value is None}

    @property
    def cached(self) -> bool:
        return self.served.cached

    @property
    def cached_fields(self) -> list[str]:
        return self.served.cached_fields

    @property
    def charged(self) -> dict:
        return {"amount_cents": self.served.charged_cents, "fields": self.served.charged_fields}


def lookup_fields_clean(fields: list[str] | None) -> list[str]:
    """The requested fields, distinct, in request order; the default when none are given."""
    fields = list(dict.fromkeys(fields or DEFAULT_LOOKUP_FIELDS))
    unknown = [name for name in fields if name not in LOOKUP_FIELDS]
    if unknown:
        raise ValidationFailed.field("fields", f"unknown field(s) {', '.join(unknown)}; allowed: "
                                               f"{', '.join(LOOKUP_FIELDS)}")
    return fields


def number_lookup_perform(*, organization: Organization, e164: str, fields: list[str] | None = None,
                          sim_swap_days: int | None = None, acting_user=None,
                          acting_key: ApiKey | None = None) -> NumberLookupAnswer:
    """Look ``e164`` up: the numbering plan (country, format, line type where it is definite) plus
    the carrier for the rest, each paid field charged once per cache period (see the module doc)."""
    parsed = _parsed(e164)
    fields = lookup_fields_clean(fields)
    if sim_swap_days is not None and "sim_swap" not in fields:
        raise ValidationFailed.field("sim_swap_days", "applies only when fields includes sim_swap")
    days = SIM_SWAP_DEFAULT_DAYS if sim_swap_days is None else sim_swap_days
    if not 1 <= days <= SIM_SWAP_MAX_DAYS:
        raise ValidationFailed.field("sim_swap_days", f"must be between 1 and {SIM_SWAP_MAX_DAYS}")
    plan_type = plan_line_type(parsed)
    local: dict[str, FieldAnswer] = {}
    if plan_type not in _PLAN_UNDECIDED:
        if "line_type" in fields:
            local["line_type"] = FieldAnswer({"line_type": plan_type})
        if plan_type != "mobile":
            for name in _MOBILE_ONLY:
                if name in fields:
                    local[name] = FieldAnswer(None, f"{name.replace('_', ' ')} data exists only for mobile "
                                                    f"numbers; this is a {plan_type.replace('_', ' ')} number")
    original_carrier = pn_carrier.name_for_number(parsed, "en")

    def fetch(adapter: CarrierAdapter, wanted: tuple[str, ...]) -> dict[str, FieldAnswer]:
        return _lookup_answers(adapter.lookup_number(e164=e164, fields=wanted), wanted,
                               original_carrier=original_carrier)

    served = _serve(product=LOOKUP, organization=organization, e164=e164, fields=fields, local=local, fetch=fetch,
                    acting_user=acting_user, acting_key=acting_key)
    return NumberLookupAnswer(
        served=served, phone_number=e164, country=phonenumbers.region_code_for_number(parsed) or "",
        national_format=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
        fields=fields, sim_swap_days=days)


def _lookup_answers(result: NumberLookupResult, wanted: tuple[str, ...], *,
                    original_carrier: str) -> dict[str, FieldAnswer]:
    answers = {}
    for name in wanted:
        if name in result.unavailable:
            answers[name] = FieldAnswer(None, result.unavailable[name])
            continue
        if name == "line_type":
            value = {"line_type": result.line_type} if result.line_type else None
        else:
            found = getattr(result, name)
            value = asdict(found) if found is not None else None
        if name == "portability" and value is not None and not value["original_carrier"]:
            value["original_carrier"] = original_carrier
        answers[name] = FieldAnswer(value, "" if value is not None else "the carrier has no answer for this number")
    return answers


# --- CNAM dip --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CnamDipAnswer:
    served: Served
    phone_number: str

    @property
    def lookup_id(self) -> str:
        return self.served.record.pk

    @property
    def caller_name(self) -> str | None:
        return self.served.answers[CALLER_NAME].value["caller_name"]

    @property
    def caller_type(self) -> str:
        return self.served.answers[CALLER_NAME].value["caller_type"]

    @property
    def cached(self) -> bool:
        return self.served.cached

    @property
    def charged(self) -> dict:
        return {"amount_cents": self.served.charged_cents, "fields": self.served.charged_fields}


def cnam_dip_perform(*, organization: Organization, e164: str, acting_user=None,
                     acting_key: ApiKey | None = None) -> CnamDipAnswer:
    """The caller name of any North American number, through the carrier; cached and charged per
    uncached dip (a dip that finds no name was still performed, so it is charged)."""
    parsed = _parsed(e164)
    if parsed.country_code != 1:
        raise ValidationFailed.field("e164", "caller names (CNAM) exist only for North American (+1) numbers")

    def fetch(adapter: CarrierAdapter, wanted: tuple[str, ...]) -> dict[str, FieldAnswer]:
        dip = adapter.cnam_dip(e164=e164)
        return {CALLER_NAME: FieldAnswer({"caller_name": dip.caller_name, "caller_type": dip.caller_type})}

    served = _serve(product=CNAM_DIP, organization=organization, e164=e164, fields=[CALLER_NAME], local={},
                    fetch=fetch, acting_user=acting_user, acting_key=acting_key)
    return CnamDipAnswer(served=served, phone_number=e164)
