"""POST /api/v1/numbers/scheduled-release: schedule (or cancel) the release of many numbers at once."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.openapi import IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.serializers import OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from ..models import OwnedNumber
from ..services.lifecycle import SCHEDULED_RELEASE_MAX_NUMBERS, numbers_release_schedule


class ScheduledReleaseBody(StrictSerializer):
    number_ids = serializers.ListField(
        child=serializers.CharField(max_length=32), min_length=1, max_length=SCHEDULED_RELEASE_MAX_NUMBERS,
        help_text=f"1-{SCHEDULED_RELEASE_MAX_NUMBERS} distinct ids (num_…) of your live numbers.")
    release_at = serializers.DateTimeField(allow_null=True, help_text=(
        "When to release them (ISO 8601, in the future); null cancels their scheduled release."))


class ScheduledReleaseSerializer(OutputSerializer):
    id = serializers.CharField(help_text="num_…")
    phone_number = serializers.CharField(source="e164", help_text="E.164.")
    status = serializers.ChoiceField(choices=OwnedNumber.Status.choices)
    release_at = serializers.DateTimeField(allow_null=True, help_text="The scheduled release, or null.")


class ScheduledReleaseViewSet(OrbitViewSet):
    required_scopes = {"scheduled_release": "numbers:write"}
    serializer_class = ScheduledReleaseSerializer

    @extend_schema(
        operation_id="numbers_scheduled_release", tags=["numbers"],
        summary="Schedule or cancel the release of many numbers",
        description=("All or none: if any id is unknown, released, listed twice or porting out, nothing changes "
                     "and the 422 names every such id (details `number_ids.<index>`). Each change sends a "
                     "`number.release_scheduled` or `number.release_cancelled` webhook event. The release "
                     "runs within minutes of `release_at`; until then it can be cancelled (here, or with "
                     "`release_at: null` on PUT /numbers/{number_id})."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=ScheduledReleaseBody,
        responses={200: envelope(ScheduledReleaseSerializer, many=True, description="The numbers, in request "
                                                                                    "order."),
                   **errors(400, 401, 403, 409, 422, 429, notes={
                       409: "The Idempotency-Key was used with a different body, or its first request still runs.",
                       422: ("Invalid body, release_at not in the future, or ids that cannot be scheduled "
                             "(details number_ids.<index>); or a bad Idempotency-Key header.")})},
    )
    @action(detail=False, methods=["post"], url_path="scheduled-release")
    @idempotent
    def scheduled_release(self, request):
        body = self.validated(ScheduledReleaseBody)
        numbers = numbers_release_schedule(organization=self.organization, number_ids=body["number_ids"],
                                           release_at=body["release_at"], **self.actor())
        return self.respond(numbers, many=True)


router = OrbitRouter()
router.register("numbers", ScheduledReleaseViewSet, basename="numbers-scheduled-release")
urlpatterns = router.urls
