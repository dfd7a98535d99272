"""POST /api/v1/numbers/readiness: the pre-flight for numbers to use, buy or port, in one call.

Thin: validate the body, run every readiness check (``porting.readiness.runner``), render. It
changes nothing (numbers:read, no Idempotency-Key). It may ask carriers (portability), so it has
its own per-organisation rate limit besides the per-key budget.

Duplicates are refused (422 naming the repeated index), not collapsed: ``results[i]`` always
answers ``numbers[i]``.
"""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.openapi import RESPONSE_HEADERS, envelope, error_response, errors
from orbit_numbers.api.ratelimit import RateLimit
from orbit_numbers.api.serializers import OutputSerializer, StrictSerializer, parse_e164
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from .readiness import CHECK_MODULES, Status
from .readiness.runner import readiness_evaluate
from .readiness.targets import KINDS

MAX_READINESS_NUMBERS = 100

CHECK_HELP = {
    "regulatory": "Regulatory: is the number's country covered by an approved compliance profile, or what is missing.",
    "e911": "E911: is a dispatchable emergency address provisioned for the number.",
    "cnam": "CNAM: the caller-name listing of a US/CA number.",
    "wallet": "Wallet: setup and first month (to buy), the next renewal (owned), the first month after a port.",
    "portability": "Portability: can a number not yet ours be ported in (the carrier's verdict plus Orbit's).",
    "campaign": "10DLC: is a US local SMS number attached to (or able to attach) an ACTIVE campaign.",
}

# --- request --------------------------------------------------------------------------------------


@extend_schema_field({
    "type": "array", "minItems": 1, "maxItems": MAX_READINESS_NUMBERS, "uniqueItems": True,
    "items": {"type": "string", "pattern": r"^\+[1-9][0-9]{5,14}$", "example": "+14155550100",
              "description": "E.164, validated against the numbering plan."},
    "description": f"1-{MAX_READINESS_NUMBERS} distinct E.164 numbers: yours, on sale, or to port in.",
})
class ReadinessNumbersField(serializers.Field):
    """A JSON array of distinct valid E.164 numbers; each bad one is reported at its index
    (error.details["numbers[3]"])."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError(f"must be an array of 1-{MAX_READINESS_NUMBERS} E.164 numbers")
        if not 1 <= len(data) <= MAX_READINESS_NUMBERS:
            raise serializers.ValidationError(f"must hold 1-{MAX_READINESS_NUMBERS} numbers, not {len(data)}")
        problems: list[list[str]] = [[] for _ in data]
        first_index: dict[str, int] = {}
        for index, value in enumerate(data):
            try:
                parse_e164(value)
            except serializers.ValidationError as exc:
                problems[index] = [str(message) for message in exc.detail]
                continue
            if value in first_index:
                problems[index] = [f"repeats numbers[{first_index[value]}]; ask about each number once"]
            first_index.setdefault(value, index)
        if any(problems):
            raise serializers.ValidationError(problems)  # a list per index: details numbers[i]
        return list(data)

    def to_representation(self, value):
        return value


class ReadinessBody(StrictSerializer):
    numbers = ReadinessNumbersField()


# --- response -------------------------------------------------------------------------------------


class CheckResultSerializer(OutputSerializer):
    status = serializers.ChoiceField(choices=Status.CHOICES, help_text="ok, warning or blocked.")
    reason = serializers.CharField(help_text="Why, in one plain-English sentence.")
    next_action = serializers.CharField(allow_blank=True, help_text="What to do next; empty when ok.")
    details = serializers.DictField(help_text=(
        "Machine-readable extras of the check (amounts in integer cents as *_cents, ids, dates in ISO 8601)."))


# One property per check, in answer order: the schema names every check a client can rely on.
ReadinessChecksSerializer = type("ReadinessChecksSerializer", (OutputSerializer,), {
    "__doc__": "Every readiness check's answer for the number, in this order.",
    "__module__": __name__,
    **{name: CheckResultSerializer(help_text=CHECK_HELP.get(name, name)) for name in CHECK_MODULES},
})


class NumberReadinessSerializer(OutputSerializer):
    phone_number = serializers.CharField(help_text="The number asked about (E.164).")
    kind = serializers.ChoiceField(choices=KINDS, help_text=(
        "owned: one of your numbers; purchase: on sale (or in your bulk hold); port_in: it could only come to "
        "Orbit by porting (another organisation's number is port_in too, and its portability says not eligible)."))
    status = serializers.ChoiceField(choices=Status.CHOICES, help_text="The worst status among its checks.")
    ready = serializers.BooleanField(help_text="true when no check is blocked (warnings allowed).")
    checks = serializers.SerializerMethodField()

    @extend_schema_field(ReadinessChecksSerializer)
    def get_checks(self, readiness) -> dict:
        render = CheckResultSerializer().to_representation
        return {name: render(result) for name, result in readiness.checks.items()}


class ReadinessSummarySerializer(OutputSerializer):
    ok = serializers.IntegerField(min_value=0, help_text="Numbers whose worst check is ok.")
    warning = serializers.IntegerField(min_value=0, help_text="Numbers whose worst check is a warning.")
    blocked = serializers.IntegerField(min_value=0, help_text="Numbers with at least one blocked check.")


class ReadinessReportSerializer(OutputSerializer):
    results = NumberReadinessSerializer(many=True, help_text="One answer per number, in request order.")
    summary = ReadinessSummarySerializer(help_text="How many numbers are at each status.")


# --- the endpoint ---------------------------------------------------------------------------------


class ReadinessViewSet(OrbitViewSet):
    required_scopes = {"readiness": "numbers:read"}
    rate_limits = {"readiness": RateLimit("numbers_readiness", settings.ORBIT["READINESS_RATE_LIMIT_PER_MINUTE"])}
    serializer_class = ReadinessReportSerializer

    @extend_schema(
        operation_id="numbers_readiness", tags=["numbers"],
        summary="Readiness pre-flight: regulatory, E911, CNAM, wallet, portability and 10DLC per number",
        description=(
            "Up to 100 numbers, each yours, on sale or to port in; for each, every check answers ok, warning or "
            "blocked with a plain-English reason and the next action. Read-only: nothing is ordered, charged or "
            "changed. Numbers to port are checked with the carrier, so the call is rate limited per "
            "organisation. A check that cannot answer right now is a warning, never an error."),
        parameters=RESPONSE_HEADERS, request=ReadinessBody,
        responses={200: envelope(ReadinessReportSerializer), **errors(400, 401, 403, 422, notes={
            422: "Invalid body: error.details names each bad number by index (numbers[3]): not valid E.164, or a "
                 "repeat of an earlier one; or numbers is empty or holds more than 100; or an unknown field."}),
            429: error_response(429, "The readiness rate limit of your organisation, or the per-key budget, is "
                                     "spent; retry after Retry-After seconds.")},
    )
    @action(detail=False, methods=["post"])
    def readiness(self, request):
        body = self.validated(ReadinessBody)
        report = readiness_evaluate(organization=self.organization, numbers=body["numbers"])
        return self.respond(report)


router = OrbitRouter()
router.register("numbers", ReadinessViewSet, basename="numbers-readiness")
urlpatterns = router.urls
