"""POST /numbers/transfers: a parent organisation moves numbers between itself and its sub-organisations."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.idempotency import idempotent
from orbit_numbers.api.openapi import IDEMPOTENT_PARAMETERS, RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.serializers import OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from .. import services
from ..models import OwnedNumber
from ..services.transfers import MAX_TRANSFER_NUMBERS

_ORG_ID = {"max_length": 32, "help_text": "An organisation id (org_…): yours or one of your sub-organisations."}


class TransferBody(StrictSerializer):
    number_ids = serializers.ListField(
        child=serializers.RegexField(r"^num_[0-9a-z]{20}$", max_length=24), min_length=1,
        max_length=MAX_TRANSFER_NUMBERS, help_text=f"1-{MAX_TRANSFER_NUMBERS} live numbers of from_organization_id.")
    from_organization_id = serializers.CharField(**_ORG_ID)
    to_organization_id = serializers.CharField(**_ORG_ID)


class TransferredNumberSerializer(OutputSerializer):
    number_id = serializers.CharField(help_text="The number's id in the receiving organisation (a new tenure).")
    previous_number_id = serializers.CharField(help_text="Its id in the organisation it left (now released).")
    phone_number = serializers.CharField(help_text="E.164.")
    from_organization_id = serializers.CharField()
    to_organization_id = serializers.CharField()
    status = serializers.ChoiceField(choices=OwnedNumber.Status.choices, help_text=(
        "active, or regulatory_hold where the receiving organisation has no approved profile covering a "
        "regulated number's country."))


class TransferResultSerializer(OutputSerializer):
    numbers = TransferredNumberSerializer(many=True)


class TransferViewSet(OrbitViewSet):
    required_scopes = {"transfer": "numbers:write"}
    serializer_class = TransferResultSerializer

    @extend_schema(
        operation_id="numbers_transfer", tags=["numbers"], summary="Move numbers between your sub-organisations",
        description=(
            "A parent organisation moves live numbers between itself and its sub-organisations (either way, or "
            "between two sub-organisations), all or none. Each number's tenure in the organisation it leaves "
            "closes now and a new one opens in the receiving organisation with a clean configuration and no "
            "routing. No money moves: the paid cycle continues and the receiving organisation pays from the "
            "next renewal. Both organisations receive a number.reassigned event."),
        parameters=[*IDEMPOTENT_PARAMETERS, *RESPONSE_HEADERS], request=TransferBody,
        responses={200: envelope(TransferResultSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            404: ("An organisation that is not yours or one of your sub-organisations, or numbers that are not "
                  "live numbers of from_organization_id (error.details lists them)."),
            409: ("Some numbers cannot move (error.details maps each to its reason: porting out, a trial loan, "
                  "an unpaid renewal); or the Idempotency-Key was used with a different body, or its first "
                  "request still runs."),
            422: "Validation failed (error.details per field), e.g. the same organisation on both sides."})},
    )
    @action(detail=False, methods=["post"], url_path="transfers")
    @idempotent
    def transfer(self, request):
        body = self.validated(TransferBody)
        moved = services.numbers_transfer(
            organization=self.organization, number_ids=body["number_ids"],
            from_organization_id=body["from_organization_id"], to_organization_id=body["to_organization_id"],
            **self.actor())
        return self.respond({"numbers": [
            {"number_id": new.pk, "previous_number_id": old.pk, "phone_number": new.e164,
             "from_organization_id": old.organization_id, "to_organization_id": new.organization_id,
             "status": new.status} for old, new in moved]})


router = OrbitRouter()
router.register("numbers", TransferViewSet, basename="numbers-transfers")
urlpatterns = router.urls
