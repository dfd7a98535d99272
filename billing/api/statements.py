"""Monthly statements: GET /billing/statements (the months with activity) and
GET /billing/statements/{YYYY-MM} as JSON (default), CSV or PDF (``?format=`` or Accept)."""
from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from orbit_numbers.api.openapi import RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.serializers import DollarsField, OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from ..models import LedgerEntry, Wallet
from ..statements import statement_build, statement_csv, statement_filename, statement_months, statement_pdf
from .views import TransactionSerializer

FORMATS = ("json", "csv", "pdf")
_MEDIA = {"text/csv": "csv", "application/pdf": "pdf"}


class StatementMonthSerializer(OutputSerializer):
    period = serializers.CharField(help_text="YYYY-MM (UTC).")


class StatementTotalSerializer(OutputSerializer):
    type = serializers.ChoiceField(choices=LedgerEntry.Kind.choices)
    amount = DollarsField(source="amount_cents", help_text="Dollars; negative for charges.")
    amount_cents = serializers.IntegerField()


class StatementSerializer(OutputSerializer):
    period = serializers.CharField(help_text="YYYY-MM (UTC).")
    currency = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(help_text="Exclusive: the first instant of the next month.")
    opening_balance = DollarsField(source="opening_balance_cents")
    opening_balance_cents = serializers.IntegerField(min_value=0)
    closing_balance = DollarsField(source="closing_balance_cents")
    closing_balance_cents = serializers.IntegerField(min_value=0, help_text=(
        "Always opening_balance_cents + the sum of the lines' amount_cents."))
    credits_cents = serializers.IntegerField(min_value=0)
    debits_cents = serializers.IntegerField(max_value=0)
    totals = StatementTotalSerializer(many=True, help_text="Per transaction type present in the month.")
    transactions = TransactionSerializer(many=True, help_text="Every ledger line of the month, oldest first.")


class StatementListQuery(StrictSerializer):
    """GET /billing/statements takes no query parameters: any is 422."""


class StatementQuery(StrictSerializer):
    format = serializers.ChoiceField(choices=FORMATS, required=False, help_text=(
        "json (the envelope; default), csv or pdf. Accept: text/csv or application/pdf does the same."))


class StatementViewSet(OrbitViewSet):
    queryset = Wallet.objects.all()
    lookup_url_kwarg = "period"
    lookup_value_converter = "str"
    required_scopes = {"list": "billing:read", "retrieve": "billing:read"}
    serializer_class = StatementSerializer
    output_serializers = {"list": StatementMonthSerializer}

    def perform_content_negotiation(self, request, force=False):
        # ?format= and Accept pick the statement's file format here; errors are always the JSON envelope.
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    @extend_schema(
        operation_id="billing_statements_list", tags=["billing"], summary="Months with a statement (newest first)",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(StatementMonthSerializer, many=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        self.query_params(StatementListQuery)
        months = [{"period": period} for period in statement_months(organization=self.organization)]
        return self.respond(months, many=True)

    @extend_schema(
        operation_id="billing_statements_retrieve", tags=["billing"], summary="A monthly statement",
        description=("Opening balance, every ledger line of the month (UTC), totals per type and the closing "
                     "balance. CSV: one table whose first column says what each row is (opening_balance, entry, "
                     "total, closing_balance); money in dollars."),
        parameters=[OpenApiParameter("period", {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
                                     OpenApiParameter.PATH, description="YYYY-MM"),
                    StatementQuery, *RESPONSE_HEADERS],
        responses={(200, "application/json"): envelope(StatementSerializer),
                   (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="format=csv"),
                   (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="format=pdf"),
                   **errors(401, 403, 422, 429, notes={
                       422: "period is not YYYY-MM, or a month that has not begun; or an unknown format."})},
    )
    def retrieve(self, request, period: str):
        query = self.query_params(StatementQuery)
        accept = request.META.get("HTTP_ACCEPT", "")
        fmt = query.get("format") or next((fmt for media, fmt in _MEDIA.items() if media in accept), "json")
        statement = statement_build(organization=self.organization, period=period)
        if fmt == "csv":
            return _download(statement_csv(statement).encode(), "text/csv; charset=utf-8",
                             statement_filename(statement, "csv"))
        if fmt == "pdf":
            return _download(statement_pdf(statement), "application/pdf", statement_filename(statement, "pdf"))
        return self.respond({
            "period": statement.period, "currency": statement.currency, "starts_at": statement.starts_at,
            "ends_at": statement.ends_at, "opening_balance_cents": statement.opening_balance_cents,
            "closing_balance_cents": statement.closing_balance_cents, "credits_cents": statement.credits_cents,
            "debits_cents": statement.debits_cents,
            "totals": [{"type": kind, "amount_cents": total} for kind, total in sorted(statement.totals.items())],
            "transactions": statement.lines})


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


router = OrbitRouter()
router.register("billing/statements", StatementViewSet, basename="billing-statements")
urlpatterns = router.urls
