"""Number health: report usage (POST /numbers/usage), read one number's health and warming plan
(GET /numbers/{number_id}/health) and list the scores worst first (GET /numbers/health)."""
from __future__ import annotations

from django import forms
from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.filters import OrbitFilterSet
from orbit_numbers.api.openapi import RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.serializers import E164Field, OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from .. import selectors, services
from ..models import NumberHealth, OwnedNumber, ReputationAlert
from ..services.health import COUNTER_MAX, USAGE_MAX_RECORDS, UsageRecord

# --- POST /numbers/usage --------------------------------------------------------------------------


class CounterField(serializers.IntegerField):
    """A whole JSON number (not a string, a boolean or a fraction) from 0 to COUNTER_MAX."""

    def __init__(self, **kwargs):
        super().__init__(min_value=0, max_value=COUNTER_MAX, required=False, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError("must be a whole number (a JSON integer)")
        return super().to_internal_value(data)


class UsageRecordBody(StrictSerializer):
    number_id = serializers.RegexField(r"^num_[0-9a-z]{20}$", required=False, help_text=(
        "One of your numbers by id (num_…); or send phone_number."))
    phone_number = E164Field(required=False, help_text="One of your numbers in E.164; or send number_id.")
    date = serializers.DateField(help_text="The UTC day the counters are for: not in the future, at most 90 days ago.")
    messages_sent = CounterField()
    messages_delivered = CounterField(help_text="At most messages_sent (with messages_failed).")
    messages_failed = CounterField()
    calls_placed = CounterField()
    calls_answered = CounterField(help_text="At most calls_placed.")
    complaints = CounterField(help_text="Recipients' complaints (reported as spam, STOP with a complaint).")
    spam_flags = CounterField(help_text="Flags raised by a call or message analytics provider.")


class UsageBody(StrictSerializer):
    records = serializers.ListField(child=UsageRecordBody(), min_length=1, max_length=USAGE_MAX_RECORDS,
                                    help_text=f"1-{USAGE_MAX_RECORDS} records, one per number and day.")

    def to_internal_value(self, data):
        # The size is checked before any record is validated, and reported on "records" itself.
        if isinstance(data, dict) and "records" in data:
            records = data["records"]
            if not isinstance(records, list) or not 1 <= len(records) <= USAGE_MAX_RECORDS:
                raise serializers.ValidationError({"records": f"must be a list of 1-{USAGE_MAX_RECORDS} records"})
        return super().to_internal_value(data)


class UsageIngestSerializer(OutputSerializer):
    received = serializers.IntegerField(min_value=0, help_text="Records in the request.")
    created = serializers.IntegerField(min_value=0, help_text="Number-days stored for the first time.")
    replaced = serializers.IntegerField(min_value=0, help_text="Number-days whose counters were replaced.")
    number_ids = serializers.ListField(child=serializers.CharField(), help_text=(
        "The numbers reported on; their health is recomputed shortly."))


USAGE_DESCRIPTION = (
    "Report usage counters of your numbers, one record per number and UTC day (1-1000 records). A record "
    "carries the day's totals: the counters it sends replace the stored ones for that day and the counters it "
    "leaves out are kept, so re-sending a record is harmless and SMS and voice may be reported separately. "
    "All-or-nothing: one bad record refuses the request with 422, details keyed `records.<index>.<field>`. "
    "The numbers' health scores are recomputed after the counters are stored.")


# --- health: one number, and the list -----------------------------------------------------------


class HealthFactorSerializer(OutputSerializer):
    factor = serializers.ChoiceField(choices=["delivery_rate", "answer_rate", "complaint_rate", "spam_flags",
                                              "warming", "age"])
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text=(
        "The measure: a rate 0-1, a count of flags, the worst day's volume / its warming cap, days of age; "
        "null when there was nothing to measure (the factor then keeps its full points)."))
    weight = serializers.IntegerField(min_value=0, help_text="Points the factor is worth.")
    points = serializers.FloatField(min_value=0, help_text="Points it earned (0 to weight).")
    detail = serializers.CharField()


class WarmingSerializer(OutputSerializer):
    in_warming = serializers.BooleanField(help_text="A daily send cap applies today.")
    day = serializers.IntegerField(allow_null=True, help_text="Day of the number's tenure (1 = its first day).")
    daily_cap = serializers.IntegerField(allow_null=True, help_text="Today's message cap; null: unrestricted.")
    sent_today = serializers.IntegerField(min_value=0, help_text="Messages reported sent today (UTC).")
    next_cap = serializers.IntegerField(allow_null=True, help_text="Tomorrow's cap; null: unrestricted.")
    ends_on = serializers.DateField(allow_null=True, help_text="The last capped day; null for ported-in numbers.")


class ReputationAlertSerializer(OutputSerializer):
    id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=ReputationAlert.Reason.choices)
    score_before = serializers.IntegerField(allow_null=True)
    score_at_open = serializers.IntegerField()
    recovery_score = serializers.IntegerField(help_text="The alert resolves once the score reaches this.")
    opened_at = serializers.DateTimeField()


class NumberHealthSerializer(OutputSerializer):
    number_id = serializers.CharField(source="number.id")
    phone_number = serializers.CharField(source="number.e164", help_text="E.164.")
    score = serializers.IntegerField(min_value=0, max_value=100, help_text="0-100, higher is healthier.")
    previous_score = serializers.IntegerField(allow_null=True, help_text="The score before its last change.")
    computed_at = serializers.DateTimeField()
    factors = serializers.ListField(child=HealthFactorSerializer())
    alert_open = serializers.BooleanField(help_text="A reputation alert is open on the number.")


class NumberHealthDetailSerializer(OutputSerializer):
    number_id = serializers.CharField()
    phone_number = serializers.CharField(help_text="E.164.")
    score = serializers.IntegerField(min_value=0, max_value=100, help_text="0-100, higher is healthier.")
    previous_score = serializers.IntegerField(allow_null=True, help_text="The score before its last change.")
    computed_at = serializers.DateTimeField(help_text="When the score was computed (now, if never before).")
    factors = serializers.ListField(child=HealthFactorSerializer())
    warming = WarmingSerializer()
    alert = ReputationAlertSerializer(allow_null=True, help_text="The open reputation alert, if any.")


class ScoreFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, field_name="score", min_value=0, max_value=100, **kwargs)
        set_override(self, "field", {"type": "integer", "minimum": 0, "maximum": 100,
                                     "description": str(self.extra.get("help_text", ""))})


class NumberHealthFilterSet(OrbitFilterSet):
    score_lt = ScoreFilter(lookup_expr="lt", help_text="Only scores below this (0-100).")
    score_gte = ScoreFilter(lookup_expr="gte", help_text="Only scores of at least this (0-100).")

    class Meta:
        model = NumberHealth
        fields: list[str] = []


class HealthPagination(KeysetPagination):
    default_limit, max_limit = 50, 200
    ordering = ("score", "pk")  # worst first (index health_org_worst_first)


class NumberHealthViewSet(OrbitViewSet):
    """/numbers/{number_id}/health and /numbers/usage: over the caller's live numbers."""

    queryset = OwnedNumber.objects.live()
    lookup_url_kwarg = lookup_value_converter = "number_id"
    not_found_message = "No such number."
    required_scopes = {"health": "numbers:read", "usage": "numbers:write"}
    serializer_class = NumberHealthDetailSerializer
    output_serializers = {"usage": UsageIngestSerializer}

    @extend_schema(
        operation_id="numbers_health_retrieve", tags=["health"], summary="Get a number's health",
        description=("The number's health score (0-100) with each factor's value, weight and points over the last "
                     "days of usage, its warming plan today (new numbers have rising daily send caps; sending "
                     "over them lowers the score) and its open reputation alert."),
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(NumberHealthDetailSerializer), **errors(401, 403, 404, 429)},
    )
    @action(detail=True, methods=["get"])
    def health(self, request, number_id: str):
        return self.respond(selectors.number_health_get(organization=self.organization, number_id=number_id))

    @extend_schema(
        operation_id="numbers_usage_ingest", tags=["health"], summary="Report usage counters",
        description=USAGE_DESCRIPTION, parameters=RESPONSE_HEADERS, request=UsageBody,
        responses={200: envelope(UsageIngestSerializer), **errors(400, 401, 403, 413, 422, 429, notes={
            422: ("A record is invalid: unknown or not your number, a day in the future, more than 90 days ago "
                  "or before the number was yours, a counter that is not a whole number, delivered or failed "
                  "over sent, answered over placed, the same number and day twice.")})},
    )
    @action(detail=False, methods=["post"])
    def usage(self, request):
        body = self.validated(UsageBody)
        records = [UsageRecord(ref=f"records.{index}", day=item.pop("date"), number_id=item.pop("number_id", None),
                               phone_number=item.pop("phone_number", None), counters=dict(item))
                   for index, item in enumerate(dict(record) for record in body["records"])]
        result = services.number_usage_ingest(organization=self.organization, records=records, **self.actor())
        return self.respond(result)


class NumberHealthListViewSet(OrbitViewSet):
    """/numbers/health: the caller's scored numbers, worst first."""

    queryset = NumberHealth.objects.all()
    required_scopes = {"list": "numbers:read"}
    serializer_class = NumberHealthSerializer
    filterset_class = NumberHealthFilterSet
    pagination_class = HealthPagination

    @extend_schema(
        operation_id="numbers_health_list", tags=["health"], summary="List your numbers' health, worst first",
        description=("Scored live numbers, lowest score first (cursor-paginated). Scores are recomputed hourly and "
                     "after usage is reported; a number not scored yet is not listed (GET its health)."),
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(NumberHealthSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(selectors.number_health_list(organization=self.organization))


router = OrbitRouter()
router.register("numbers/health", NumberHealthListViewSet, basename="numbers-health")
router.register("numbers", NumberHealthViewSet, basename="numbers")
urlpatterns = router.urls
