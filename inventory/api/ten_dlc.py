"""US 10DLC registration: /10dlc/brands and /10dlc/campaigns (list, create, retrieve, edit, submit).

A brand or campaign is created as a ``draft``; ``submit`` sends it to the registry through the
carrier and answers it ``pending``; vetting then finishes as ``verified`` or ``rejected`` (webhooks
brand.status_changed / campaign.status_changed). A verified campaign (its ``status`` ACTIVE) is what
``campaign_id`` takes on purchase, buy-bulk, orders and PUT /numbers/{id}.
"""
from __future__ import annotations

from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action

from orbit_numbers.api.filters import EnumFilter, OrbitFilterSet
from orbit_numbers.api.openapi import RESPONSE_HEADERS, envelope, errors
from orbit_numbers.api.pagination import KeysetPagination
from orbit_numbers.api.serializers import CountryField, E164Field, OutputSerializer, StrictSerializer
from orbit_numbers.api.viewsets import OrbitRouter, OrbitViewSet

from ..models import Brand, BrandEntityType, BrandVertical, Campaign, CampaignUseCase, RegistrationStatus
from ..models.ten_dlc import STOCK_EXCHANGES
from ..services import ten_dlc as services
from .fields import EnumField

# --- request bodies -----------------------------------------------------------------------------------


def _text(max_length: int, *, required: bool = False, help_text: str = "", min_length: int | None = None):
    return serializers.CharField(max_length=max_length, required=required, allow_blank=not required,
                                 min_length=min_length, help_text=help_text)


class _NoControlCharacters:
    def validate(self, attrs):
        for name, value in attrs.items():
            texts = value if isinstance(value, list) else [value]
            for text in texts:
                if isinstance(text, str) and any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
                    raise serializers.ValidationError({name: "must not contain control characters"})
        return attrs


class BrandBody(_NoControlCharacters, StrictSerializer):
    name = _text(100, required=True, help_text="The brand's display name (what subscribers know it as).")
    legal_name = _text(255, required=True, help_text="The company's legal name exactly as registered with its "
                                                     "tax id (IRS records for a US EIN).")
    entity_type = EnumField(choices=tuple(BrandEntityType.values), help_text=(
        "PRIVATE_PROFIT, PUBLIC_PROFIT, NON_PROFIT, GOVERNMENT, or SOLE_PROPRIETOR (no tax id)."))
    tax_id = _text(21, help_text="EIN (US: 9 digits, 12-3456789) or the national tax id; not for SOLE_PROPRIETOR.")
    tax_id_country = CountryField(required=False, help_text="Country that issued the tax id; the brand's country "
                                                            "when absent.")
    vertical = EnumField(choices=tuple(BrandVertical.values), help_text="The industry the brand is in.")
    website = _text(255, help_text="The company's public website, http(s)://… (required unless SOLE_PROPRIETOR).")
    country = CountryField(help_text="ISO 3166-1 alpha-2 country of registration, e.g. US.")
    street = _text(100)
    city = _text(100)
    state = _text(20, help_text="State or province code, e.g. TX.")
    postal_code = _text(10)
    contact_email = serializers.EmailField(max_length=254, help_text="Where the registry and carriers reach the "
                                                                     "brand about its registration.")
    contact_phone = E164Field(required=False, max_length=16, help_text=(
        "E.164 support phone (required for SOLE_PROPRIETOR: the registry sends it a one-time code)."))
    stock_symbol = _text(10, help_text="PUBLIC_PROFIT only (required there).")
    stock_exchange = EnumField(choices=STOCK_EXCHANGES, required=False, help_text="PUBLIC_PROFIT only (required "
                                                                                   "there).")


class CampaignBody(_NoControlCharacters, StrictSerializer):
    brand_id = serializers.CharField(max_length=32, help_text="One of your brands (brd_…).")
    name = _text(100, required=True, help_text="Your name for the campaign.")
    use_case = EnumField(choices=tuple(CampaignUseCase.values), help_text="The registry's use case.")
    description = _text(4096, required=True, min_length=40, help_text=(
        "What the campaign sends, to whom and why (at least 40 characters)."))
    message_flow = _text(2048, required=True, min_length=40, help_text=(
        "How subscribers opt in: web form (with its URL), keyword, point of sale … (at least 40 characters)."))
    sample_messages = serializers.ListField(
        child=serializers.CharField(min_length=20, max_length=1024), min_length=1,
        max_length=services.SAMPLE_MESSAGES_MAX,
        help_text=f"1-{services.SAMPLE_MESSAGES_MAX} messages exactly as they will be sent (20-1024 characters).")
    opt_in_keywords = serializers.ListField(child=serializers.CharField(max_length=15), required=False,
                                           max_length=20, help_text="Keywords that subscribe, e.g. [\"START\"].")
    opt_in_message = _text(320, help_text="The confirmation sent on opt-in (required with opt_in_keywords).")
    opt_out_keywords = serializers.ListField(child=serializers.CharField(max_length=15), required=False,
                                            max_length=20, help_text="Must include STOP; [\"STOP\"] when absent.")
    opt_out_message = _text(320, required=True, help_text="The confirmation sent on opt-out.")
    help_keywords = serializers.ListField(child=serializers.CharField(max_length=15), required=False,
                                         max_length=20, help_text="Must include HELP; [\"HELP\"] when absent.")
    help_message = _text(320, required=True, help_text="The answer to HELP: who you are and how to get support.")
    embedded_link = serializers.BooleanField(required=False, default=False,
                                             help_text="Messages contain links (required if a sample has one).")
    embedded_phone = serializers.BooleanField(required=False, default=False,
                                              help_text="Messages contain phone numbers.")
    number_pool = serializers.BooleanField(required=False, default=False, help_text="Sends from 50+ numbers.")
    age_gated = serializers.BooleanField(required=False, default=False, help_text="Age-gated content.")
    direct_lending = serializers.BooleanField(required=False, default=False, help_text="Direct lending or loans.")


class CampaignUpdateBody(CampaignBody):
    """A campaign's fields without its brand (a campaign stays with the brand it was created under)."""

    brand_id = None


class EmptyBody(StrictSerializer):
    """submit takes no body (an empty object is accepted)."""


# --- responses -----------------------------------------------------------------------------------------


class _AlwaysMethodField(serializers.SerializerMethodField):
    """Rendered as null when the method answers None (a plain method field would be left out)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.required = True


class _Registration(OutputSerializer):
    registration_status = serializers.ChoiceField(choices=RegistrationStatus.choices, help_text=(
        "draft (not submitted), pending (being vetted), verified or rejected."))
    rejection_code = _AlwaysMethodField(help_text="Why vetting rejected it (a code); null otherwise.")
    rejection_reason = _AlwaysMethodField(help_text="Why vetting rejected it, in words; null otherwise.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    vetted_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field({"type": "string", "nullable": True})
    def get_rejection_code(self, row) -> str | None:
        return row.rejection_code or None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_rejection_reason(self, row) -> str | None:
        return row.rejection_reason or None


class BrandSerializer(_Registration):
    id = serializers.CharField(help_text="brd_ followed by 20 characters.")
    name = serializers.CharField()
    legal_name = serializers.CharField(allow_blank=True)
    entity_type = serializers.CharField(allow_blank=True)
    tax_id = serializers.CharField(allow_blank=True)
    tax_id_country = serializers.CharField(allow_blank=True)
    vertical = serializers.CharField(allow_blank=True)
    website = serializers.CharField(allow_blank=True)
    country = serializers.CharField(allow_blank=True)
    street = serializers.CharField(allow_blank=True)
    city = serializers.CharField(allow_blank=True)
    state = serializers.CharField(allow_blank=True)
    postal_code = serializers.CharField(allow_blank=True)
    contact_email = serializers.CharField(allow_blank=True)
    contact_phone = serializers.CharField(allow_blank=True)
    stock_symbol = serializers.CharField(allow_blank=True)
    stock_exchange = serializers.CharField(allow_blank=True)
    identity_status = serializers.ChoiceField(choices=Brand.IdentityStatus.choices, help_text=(
        "The registry's identity verdict: VERIFIED or VETTED_VERIFIED once verified, UNVERIFIED when rejected."))


class CampaignSerializer(_Registration):
    id = serializers.CharField(help_text="cmp_ followed by 20 characters; pass it as campaign_id.")
    brand_id = serializers.CharField()
    name = serializers.CharField()
    use_case = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    message_flow = serializers.CharField(allow_blank=True)
    sample_messages = serializers.ListField(child=serializers.CharField())
    opt_in_keywords = serializers.ListField(child=serializers.CharField())
    opt_in_message = serializers.CharField(allow_blank=True)
    opt_out_keywords = serializers.ListField(child=serializers.CharField())
    opt_out_message = serializers.CharField(allow_blank=True)
    help_keywords = serializers.ListField(child=serializers.CharField())
    help_message = serializers.CharField(allow_blank=True)
    embedded_link = serializers.BooleanField()
    embedded_phone = serializers.BooleanField()
    number_pool = serializers.BooleanField()
    age_gated = serializers.BooleanField()
    direct_lending = serializers.BooleanField()
    status = serializers.ChoiceField(choices=Campaign.Status.choices, help_text=(
        "The operating status: ACTIVE once verified (numbers may be attached), REJECTED when vetting rejected it."))


# --- filters and pagination --------------------------------------------------------------------------


class BrandFilterSet(OrbitFilterSet):
    """GET /10dlc/brands."""

    status = EnumFilter(field_name="registration_status", choices=RegistrationStatus,
                        help_text="draft, pending, verified or rejected.")

    class Meta:
        model = Brand
        fields: list[str] = []


class CampaignFilterSet(OrbitFilterSet):
    """GET /10dlc/campaigns."""

    status = EnumFilter(field_name="registration_status", choices=RegistrationStatus,
                        help_text="draft, pending, verified or rejected.")
    brand = django_filters.CharFilter(field_name="brand_id", max_length=32, help_text="A brand id (brd_…).")

    set_override(brand, "field", {"type": "string", "minLength": 1, "maxLength": 32, "example": "brd_example",
                                  "description": "Only the campaigns of this brand (brd_…)."})

    class Meta:
        model = Campaign
        fields: list[str] = []


class RegistrationPagination(KeysetPagination):
    default_limit, max_limit = 25, 100


BRAND_PATH = OpenApiParameter("brand_id", {"type": "string", "maxLength": 32}, OpenApiParameter.PATH,
                              description="A brand id (brd_…).")
CAMPAIGN_PATH = OpenApiParameter("campaign_id", {"type": "string", "maxLength": 32}, OpenApiParameter.PATH,
                                 description="A campaign id (cmp_…).")


class _RegistrationViewSet(OrbitViewSet):
    pagination_class = RegistrationPagination


class BrandViewSet(_RegistrationViewSet):
    queryset = Brand.objects.all()
    lookup_url_kwarg = "brand_id"
    not_found_message = "No such brand."
    required_scopes = {"list": "numbers:read", "retrieve": "numbers:read", "create": "numbers:write",
                       "partial_update": "numbers:write", "submit": "numbers:write"}
    serializer_class = BrandSerializer
    filterset_class = BrandFilterSet

    @extend_schema(
        operation_id="ten_dlc_brands_list", tags=["10dlc"], summary="List your 10DLC brands",
        description="Newest first, cursor-paginated; filter by registration status.",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(BrandSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="ten_dlc_brands_create", tags=["10dlc"], summary="Create a 10DLC brand (draft)",
        description=("Stores the brand as `draft`; submit it with POST /api/v1/10dlc/brands/{brand_id}/submit. "
                     "The registry's rules are checked now: a tax id unless SOLE_PROPRIETOR (a US EIN is 9 digits), "
                     "a website unless SOLE_PROPRIETOR, stock symbol and exchange for PUBLIC_PROFIT."),
        parameters=RESPONSE_HEADERS, request=BrandBody,
        responses={201: envelope(BrandSerializer), **errors(400, 401, 403, 422, 429, notes={
            422: "Invalid body: error.details names each field and why."})},
    )
    def create(self, request):
        body = self.validated(BrandBody)
        brand = services.brand_create(organization=self.organization, fields=dict(body), **self.actor())
        return self.respond(brand, status=201)

    @extend_schema(
        operation_id="ten_dlc_brands_retrieve", tags=["10dlc"], summary="Get a 10DLC brand",
        parameters=[BRAND_PATH, *RESPONSE_HEADERS],
        responses={200: envelope(BrandSerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, brand_id: str):
        return self.respond(self.get_object())

    @extend_schema(
        operation_id="ten_dlc_brands_update", tags=["10dlc"], summary="Edit a draft or rejected 10DLC brand",
        description=("Only the fields sent change; the registry's rules are checked on the result (as on create). "
                     "A rejected brand is corrected here, then submitted again."),
        parameters=[BRAND_PATH, *RESPONSE_HEADERS], request=BrandBody,
        responses={200: envelope(BrandSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            409: "The brand is pending or verified: it can no longer be edited.",
            422: "Invalid body: error.details names each field and why."})},
    )
    def partial_update(self, request, brand_id: str):
        body = self.validated(BrandBody, partial=True)
        brand = services.brand_update(organization=self.organization, brand_id=brand_id, changes=dict(body),
                                      **self.actor())
        return self.respond(brand)

    @extend_schema(
        operation_id="ten_dlc_brands_submit", tags=["10dlc"], summary="Submit a brand for vetting",
        description=("Sends a `draft` (or `rejected`, corrected) brand to the registry: it answers `pending`, and "
                     "vetting finishes as `verified` or `rejected` (webhook brand.status_changed, and mail to your "
                     "contact address)."),
        parameters=[BRAND_PATH, *RESPONSE_HEADERS], request=EmptyBody,
        responses={200: envelope(BrandSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            409: "The brand is already pending or verified.",
            422: "A body other than {}, or the brand misses a field the registry needs (error.details)."})},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, brand_id: str):
        self.validated(EmptyBody, data=request.data or {})
        brand = services.brand_submit(organization=self.organization, brand_id=brand_id, **self.actor())
        return self.respond(brand)


class CampaignViewSet(_RegistrationViewSet):
    queryset = Campaign.objects.all()
    lookup_url_kwarg = "campaign_id"
    not_found_message = "No such campaign."
    required_scopes = {"list": "numbers:read", "retrieve": "numbers:read", "create": "numbers:write",
                       "partial_update": "numbers:write", "submit": "numbers:write"}
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet

    @extend_schema(
        operation_id="ten_dlc_campaigns_list", tags=["10dlc"], summary="List your 10DLC campaigns",
        description="Newest first, cursor-paginated; filter by registration status and brand.",
        parameters=RESPONSE_HEADERS,
        responses={200: envelope(CampaignSerializer, paginated=True), **errors(401, 403, 422, 429)},
    )
    def list(self, request):
        return self.respond_page(self.get_queryset())

    @extend_schema(
        operation_id="ten_dlc_campaigns_create", tags=["10dlc"], summary="Create a 10DLC campaign (draft)",
        description=("Stores the campaign as `draft` under one of your brands; submit it once the brand is "
                     "verified. Opt-out keywords must include STOP and help keywords HELP; a sample message with a "
                     "link needs embedded_link."),
        parameters=RESPONSE_HEADERS, request=CampaignBody,
        responses={201: envelope(CampaignSerializer), **errors(400, 401, 403, 422, 429, notes={
            422: "Invalid body (error.details per field), or a brand_id that is not one of yours."})},
    )
    def create(self, request):
        body = dict(self.validated(CampaignBody))
        brand_id = body.pop("brand_id")
        campaign = services.campaign_create(organization=self.organization, brand_id=brand_id, fields=body,
                                            **self.actor())
        return self.respond(campaign, status=201)

    @extend_schema(
        operation_id="ten_dlc_campaigns_retrieve", tags=["10dlc"], summary="Get a 10DLC campaign",
        parameters=[CAMPAIGN_PATH, *RESPONSE_HEADERS],
        responses={200: envelope(CampaignSerializer), **errors(401, 403, 404, 429)},
    )
    def retrieve(self, request, campaign_id: str):
        return self.respond(self.get_object())

    @extend_schema(
        operation_id="ten_dlc_campaigns_update", tags=["10dlc"], summary="Edit a draft or rejected 10DLC campaign",
        description=("Only the fields sent change (not the brand); the registry's rules are checked on the result. "
                     "A rejected campaign is corrected here, then submitted again."),
        parameters=[CAMPAIGN_PATH, *RESPONSE_HEADERS], request=CampaignUpdateBody,
        responses={200: envelope(CampaignSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            409: "The campaign is pending or verified: it can no longer be edited.",
            422: "Invalid body: error.details names each field and why."})},
    )
    def partial_update(self, request, campaign_id: str):
        body = self.validated(CampaignUpdateBody, partial=True)
        campaign = services.campaign_update(organization=self.organization, campaign_id=campaign_id,
                                            changes=dict(body), **self.actor())
        return self.respond(campaign)

    @extend_schema(
        operation_id="ten_dlc_campaigns_submit", tags=["10dlc"], summary="Submit a campaign for vetting",
        description=("Sends a `draft` (or `rejected`) campaign of a verified brand to the registry: `pending`, "
                     "then `verified` (status ACTIVE: attach numbers with campaign_id) or `rejected` (webhook "
                     "campaign.status_changed)."),
        parameters=[CAMPAIGN_PATH, *RESPONSE_HEADERS], request=EmptyBody,
        responses={200: envelope(CampaignSerializer), **errors(400, 401, 403, 404, 409, 422, 429, notes={
            409: "The campaign is already pending or verified, or its brand is not verified (error.details).",
            422: "A body other than {}, or the campaign misses a field the registry needs (error.details)."})},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, campaign_id: str):
        self.validated(EmptyBody, data=request.data or {})
        campaign = services.campaign_submit(organization=self.organization, campaign_id=campaign_id,
                                            **self.actor())
        return self.respond(campaign)


router = OrbitRouter()
router.register("10dlc/brands", BrandViewSet, basename="ten-dlc-brands")
router.register("10dlc/campaigns", CampaignViewSet, basename="ten-dlc-campaigns")
urlpatterns = router.urls
