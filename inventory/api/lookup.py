"""Number lookup and CNAM dip: GET /numbers/lookup/{e164}, GET /numbers/cnam-dip/{e164} (both paid,
numbers:write) and the organisation's history, GET /numbers/lookups (numbers:read)."""
from __future__ import annotations

from django import forms
from django.conf import settings
from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from orbit_numbers.api.filters import EnumFilter, OrbitFilterSet, UtcDateTimeFilter
from orbit_numbers.api.openapi import RESPONSE_HEADERS, csv_parameter, envelope, error_response, errors
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.serializers import DollarsField, OutputSerializer, StrictSerializer, parse_e164
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet
from orbit_numbers.errors import CarrierUnavailable

from ..models import NumberLookup
from ..providers.base import CALLER_TYPES, LOOKUP_FIELDS, PLAN_LINE_TYPES
from ..selectors import number_lookups
from ..services.lookup import (CALLER_NAME, DEFAULT_LOOKUP_FIELDS, SIM_SWAP_DEFAULT_DAYS, SIM_SWAP_MAX_DAYS,
                               cnam_dip_perform, lookup_fields_clean, number_lookup_perform)

WRITE, READ = "numbers:write", "numbers:read"
TAGS = ["lookup"]
# Value sets of the schema (named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
LOOKUP_LINE_TYPES = tuple(sorted(set(PLAN_LINE_TYPES.values())))
CHARGEABLE_FIELDS = (*LOOKUP_FIELDS, CALLER_NAME)
ROAMING_STATUSES = ("roaming", "not_roaming", "unknown")

E164_PATH = OpenApiParameter(
    "e164", {"type": "string", "pattern": r"^\+?[1-9][0-9]{5,14}$", "example": "+14155550100"},
    OpenApiParameter.PATH, description=(
        "Any E.164 number, e.g. +14155550100 (the leading + may be omitted or sent as %2B); it must be valid in its "
        "country's numbering plan, else 422."))
CARRIER_UNAVAILABLE = error_response(503, (
    "The carrier did not answer or refused; nothing was charged or recorded. Retry after Retry-After seconds."),
    codes=[CarrierUnavailable.code])
UNROUTABLE = "The path matches no route (e.g. the number segment holds a line break); any other bad number is 422."
PAID = (" Spends wallet money, so it needs the numbers:write scope. An answer is cached per organisation for "
        "ORBIT LOOKUP_CACHE_SECONDS (default 24 hours): within that time the same number's fields are served from the "
        "cache and not charged again; the wallet is checked before the carrier is asked (402, nothing charged), "
        "and what the carrier answered is charged after, in one ledger line per request.")


def _path_e164(value: str) -> str:
    return value if value.startswith("+") else f"+{value}"


# --- request --------------------------------------------------------------------------------------


class LookupQuery(StrictSerializer):
    fields = serializers.CharField(required=False, trim_whitespace=False)
    sim_swap_days = serializers.IntegerField(required=False, min_value=1, max_value=SIM_SWAP_MAX_DAYS)

    def validate_fields(self, value: str) -> list[str]:
        names = [name.strip() for name in value.split(",")]
        if not value or any(not name for name in names):
            raise serializers.ValidationError(f"must be a comma-separated list of {', '.join(LOOKUP_FIELDS)}")
        unknown = [name for name in names if name not in LOOKUP_FIELDS]
        if unknown:
            raise serializers.ValidationError(
                f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(LOOKUP_FIELDS)}")
        return lookup_fields_clean(names)


class EmptyQuery(StrictSerializer):
    """The CNAM dip takes no query parameters."""


# --- responses ------------------------------------------------------------------------------------


class LookupCarrierSerializer(OutputSerializer):
    name = serializers.CharField(help_text="The carrier serving the number now.")
    mcc = serializers.CharField(allow_blank=True, help_text="Mobile country code; blank for non-mobile lines.")
    mnc = serializers.CharField(allow_blank=True, help_text="Mobile network code; blank for non-mobile lines.")


class LookupPortabilitySerializer(OutputSerializer):
    lrn = serializers.CharField(allow_blank=True, help_text="Location routing number (North America); else blank.")
    spid = serializers.CharField(allow_blank=True, help_text="Service provider id of the serving carrier.")
    ported = serializers.BooleanField(help_text="Whether the number has left its original carrier.")
    original_carrier = serializers.CharField(allow_blank=True, help_text=(
        "The carrier the numbering plan assigned the number to; blank where the plan does not say."))


class LookupSimSwapSerializer(OutputSerializer):
    last_swap_at = serializers.DateTimeField(allow_null=True, help_text="The last SIM change; null if none on record.")
    swapped_within_days = serializers.IntegerField(min_value=1, help_text="The window asked (sim_swap_days).")
    swapped_recently = serializers.BooleanField(help_text="The SIM changed within swapped_within_days.")


class LookupRoamingSerializer(OutputSerializer):
    status = serializers.ChoiceField(choices=list(ROAMING_STATUSES))
    country = serializers.CharField(allow_blank=True, help_text="Where the handset is registered (ISO 3166-1).")
    mcc = serializers.CharField(allow_blank=True)
    mnc = serializers.CharField(allow_blank=True)


class LookupChargeSerializer(OutputSerializer):
    amount = DollarsField(source="amount_cents", help_text="Charged to the wallet for this request, in dollars.")
    fields = serializers.ListField(child=serializers.ChoiceField(choices=list(CHARGEABLE_FIELDS)), help_text=(
        "The fields charged: answered by the carrier now and not free. Cached, unavailable and free fields "
        "are not."))


class NumberLookupAnswerSerializer(OutputSerializer):
    id = serializers.CharField(source="lookup_id", help_text="The lookup's record (lkp_…), as listed in "
                                                             "GET /numbers/lookups.")
    phone_number = serializers.CharField(help_text="E.164.")
    country = serializers.CharField(allow_blank=True, help_text="ISO 3166-1 alpha-2 (numbering plan).")
    national_format = serializers.CharField()
    fields = serializers.ListField(child=serializers.ChoiceField(choices=list(LOOKUP_FIELDS)),
                                   help_text="The fields asked for; the others are null.")
    carrier = LookupCarrierSerializer(allow_null=True)
    line_type = serializers.ChoiceField(choices=list(LOOKUP_LINE_TYPES), allow_null=True, help_text=(
        "From the numbering plan where it is definite; where it is not (fixed_line_or_mobile, e.g. US/CA "
        "numbers) the carrier's reading."))
    portability = LookupPortabilitySerializer(allow_null=True)
    sim_swap = LookupSimSwapSerializer(allow_null=True, help_text="Mobile numbers only.")
    roaming = LookupRoamingSerializer(allow_null=True, help_text="Mobile numbers only.")
    unavailable = serializers.DictField(child=serializers.CharField(), help_text=(
        "Requested fields that have no answer for this number (e.g. sim_swap of a fixed line), with the reason; "
        "they are null and not charged."))
    cached = serializers.BooleanField(help_text="True when every answered field came from the cache (the carrier "
                                                "was not asked).")
    cached_fields = serializers.ListField(child=serializers.ChoiceField(choices=list(LOOKUP_FIELDS)),
                                          help_text="The fields served from the cache (not charged again).")
    charged = LookupChargeSerializer()


class CnamDipSerializer(OutputSerializer):
    id = serializers.CharField(source="lookup_id", help_text="The dip's record (lkp_…).")
    phone_number = serializers.CharField(help_text="E.164 (North American).")
    caller_name = serializers.CharField(allow_null=True, help_text="Up to 15 characters; null if none is listed.")
    caller_type = serializers.ChoiceField(choices=list(CALLER_TYPES))
    cached = serializers.BooleanField(help_text="Served from the cache: not charged again.")
    charged = LookupChargeSerializer()


class LookupLogChargeSerializer(OutputSerializer):
    amount = DollarsField(source="charged_cents")
    fields = serializers.ListField(source="charged_fields", child=serializers.CharField())


class NumberLookupSerializer(OutputSerializer):
    id = serializers.CharField(help_text="lkp_ followed by 20 characters.")
    kind = serializers.ChoiceField(choices=NumberLookup.Kind.choices)
    phone_number = serializers.CharField(source="e164")
    fields = serializers.ListField(child=serializers.CharField(), help_text="Asked for (caller_name for a dip).")
    cached_fields = serializers.ListField(child=serializers.CharField())
    charged = LookupLogChargeSerializer(source="*")
    created_at = serializers.DateTimeField()


# --- the history's filters ------------------------------------------------------------------------


class E164FormField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        value = "+" + value.strip().lstrip("+")  # a bare + in a query string decodes to a space
        try:
            parse_e164(value)
        except serializers.ValidationError:
            raise forms.ValidationError("must be an E.164 number such as +14155550100") from None
        return value


class E164Filter(django_filters.CharFilter):
    field_class = E164FormField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "string", "pattern": r"^\+?[1-9][0-9]{5,14}$",
                                     "example": "+14155550100", "description": str(self.extra.get("help_text", ""))})


class NumberLookupFilterSet(OrbitFilterSet):
    phone_number = E164Filter(field_name="e164", help_text="Only lookups of this E.164 number.")
    kind = EnumFilter(choices=NumberLookup.Kind, help_text="lookup or cnam_dip.")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                      help_text="Only lookups at or after this time (ISO 8601).")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt",
                                       help_text="Only lookups before this time (ISO 8601).")

    class Meta:
        model = NumberLookup
        fields = ["phone_number", "kind", "created_after", "created_before"]


# --- the endpoints --------------------------------------------------------------------------------


def _rate_limit(name: str) -> RateLimit:
    return RateLimit(name, settings.ORBIT["LOOKUP_RATE_LIMIT_PER_MINUTE"])


class NumberLookupViewSet(OrbitViewSet):
    lookup_url_kwarg = "e164"
    lookup_value_converter = "path"  # anything reaches the view: a bad number is 422, not 404
    required_scopes = {"retrieve": WRITE}
    rate_limits = {"retrieve": _rate_limit("number_lookup")}
    serializer_class = NumberLookupAnswerSerializer

    @extend_schema(
        operation_id="numbers_lookup", tags=TAGS, summary="Look a number up (carrier, line type, portability, SIM "
                                                         "swap, roaming); paid per field",
        description=(
            "Any E.164 number, yours or not. `fields` (comma-separated, default "
            f"`{','.join(DEFAULT_LOOKUP_FIELDS)}`) chooses what to look up; each is priced on its own "
            "(ORBIT LOOKUP_PRICES_CENTS; line_type is free) and only fields the carrier answered are charged. "
            "sim_swap and roaming exist for mobile numbers only (null, with the reason in `unavailable`, and not "
            f"charged otherwise). `sim_swap_days` (1-{SIM_SWAP_MAX_DAYS}, default {SIM_SWAP_DEFAULT_DAYS}; only "
            "with sim_swap) sets the window of `swapped_recently`." + PAID +
            " Rate limited per organisation (ORBIT LOOKUP_RATE_LIMIT_PER_MINUTE, default 60 a minute)."),
        parameters=[E164_PATH, csv_parameter("fields", LOOKUP_FIELDS, (
            f"Comma-separated subset of {', '.join(LOOKUP_FIELDS)} (default {','.join(DEFAULT_LOOKUP_FIELDS)}).")),
                    OpenApiParameter("sim_swap_days", {"type": "integer", "minimum": 1,
                                                       "maximum": SIM_SWAP_MAX_DAYS},
                                     description="Window of swapped_recently, in days; only with fields=…sim_swap."),
                    *RESPONSE_HEADERS],
        responses={200: envelope(NumberLookupAnswerSerializer), 503: CARRIER_UNAVAILABLE,
                   **errors(401, 402, 403, 404, 422, 429, notes={
                       404: UNROUTABLE,
                       402: "The wallet cannot pay for the fields to fetch: checked before the carrier is asked, "
                            "and again when charging; nothing was charged or recorded.",
                       422: "Not a valid E.164 number (in its country's numbering plan), an unknown or empty field, "
                            "an unknown query parameter, or sim_swap_days out of range or without sim_swap."})},
    )
    def retrieve(self, request, e164: str):
        query = self.query_params(LookupQuery)
        answer = number_lookup_perform(organization=self.organization, e164=_path_e164(e164),
                                       fields=query.get("fields"), sim_swap_days=query.get("sim_swap_days"),
                                       **self.actor())
        return self.respond(answer)


class CnamDipViewSet(OrbitViewSet):
    lookup_url_kwarg = "e164"
    lookup_value_converter = "path"
    required_scopes = {"retrieve": WRITE}
    rate_limits = {"retrieve": _rate_limit("cnam_dip")}
    serializer_class = CnamDipSerializer

    @extend_schema(
        operation_id="numbers_cnam_dip", tags=TAGS, summary="CNAM dip: the caller name of a North American number",
        description=("Asks the carrier's CNAM database for the name shown with calls from the number, and whether "
                     "it is a business or a consumer. Charged per dip (ORBIT CNAM_DIP_PRICE_CENTS), a dip that "
                     "finds no name included." + PAID +
                     " Rate limited per organisation (ORBIT LOOKUP_RATE_LIMIT_PER_MINUTE)."),
        parameters=[E164_PATH, *RESPONSE_HEADERS],
        responses={200: envelope(CnamDipSerializer), 503: CARRIER_UNAVAILABLE,
                   **errors(401, 402, 403, 404, 422, 429, notes={
                       404: UNROUTABLE,
                       402: "The wallet cannot pay for the dip; nothing was charged or recorded.",
                       422: "Not a valid E.164 number, not a North American (+1) number, or a query parameter."})},
    )
    def retrieve(self, request, e164: str):
        self.query_params(EmptyQuery)
        answer = cnam_dip_perform(organization=self.organization, e164=_path_e164(e164), **self.actor())
        return self.respond(answer)


class LookupPagination(KeysetPagination):
    default_limit, max_limit = 25, 200


class NumberLookupLogViewSet(OrbitViewSet):
    queryset = number_lookups()
    required_scopes = {"list": READ}
    serializer_class = NumberLookupSerializer
    filterset_class = NumberLookupFilterSet
    pagination_class = LookupPagination

    @extend_schema(
        operation_id="numbers_lookups_list", tags=TAGS, summary="Your lookups and CNAM dips (newest first)",
        description="What each request asked, what came from the cache and what it cost.",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(NumberLookupSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())


router = OrbitRouter()
router.register("numbers/lookups", NumberLookupLogViewSet, basename="numbers-lookups")
router.register("numbers/lookup", NumberLookupViewSet, basename="numbers-lookup")
router.register("numbers/cnam-dip", CnamDipViewSet, basename="numbers-cnam-dip")
urlpatterns = router.urls
