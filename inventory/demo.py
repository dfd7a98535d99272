"""Demo data for ``make run``: idempotent, so it is safe on every start.

Ensures a few thousand numbers of inventory, a staff login, two demo organisations with funded
wallets (one with an approved German and a French compliance profile waiting for review, documents
included), and issues a fresh API key per organisation on every run (keys are shown once, so an old
one cannot be re-printed). The regulatory requirements come with the migrations (0013).
"""
from __future__ import annotations

from dataclasses import dataclass

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from billing.services import wallet_credit, wallet_get_or_create
from orbit_numbers.files.services import file_store
from orbit_numbers.models import SCOPES, Organization
from orbit_numbers.services import api_key_create, audit_record, organization_get_or_create

from .demo_caller_id import caller_id_demo_seed
from .demo_health import demo_health_seed
from .models import ComplianceDocument, ComplianceProfile, InventoryStatus, LineType, PhoneNumber
from .seeding import SeedResult, inventory_seed

DEMO_NUMBERS = 5_000
DEMO_SEED = "demo"
STAFF_USERNAME = "admin"
STAFF_PASSWORD = "orbit-admin"
# name → wallet balance the demo keeps it topped up to, in cents.
DEMO_ORGANIZATIONS = {"Acme Telecom": 500_00, "Globex Comms": 50_00}
COMPLIANCE_ORGANIZATION = "Acme Telecom"
# A one-page PDF standing in for the scanned documents.
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
_ADDRESS = {"business_name": "Acme Telecom GmbH", "street_address": "Friedrichstrasse 123", "city": "Berlin",
            "postal_code": "10117"}
# name → (country, status, fields, documents); the approved one covers Germany for every line type and action.
DEMO_PROFILES = {
    "Acme Telecom Germany": ("DE", ComplianceProfile.Status.APPROVED,
                             {**_ADDRESS, "contact_name": "Erika Mustermann"},
                             ["proof_of_local_address", "business_registration", "identity_document"]),
    "Acme Telecom France": ("FR", ComplianceProfile.Status.SUBMITTED,
                            {**_ADDRESS, "business_name": "Acme Telecom SAS", "siren": "552100554",
                             "street_address": "12 rue de la Paix", "city": "Paris", "postal_code": "75002"},
                            ["proof_of_local_address", "business_registration", "identity_document"]),
}


@dataclass(frozen=True)
class DemoKey:
    organization: Organization
    raw_key: str
    balance_cents: int


@dataclass(frozen=True)
class DemoSeed:
    numbers: SeedResult
    available: int
    staff_created: bool
    staff_password_is_default: bool
    keys: list[DemoKey]
    sample_number: str | None


def demo_seed(*, numbers: int = DEMO_NUMBERS) -> DemoSeed:
    missing = max(0, numbers - PhoneNumber.objects.count())
    loaded = inventory_seed(count=missing, seed=DEMO_SEED) if missing else SeedResult(0, 0)
    with transaction.atomic():
        staff_created, staff_default = _staff_user()
        keys = [_demo_organization(name, target) for name, target in DEMO_ORGANIZATIONS.items()]
    caller_id_demo_seed(organization=keys[0].organization)
    if _demo_emergency(keys[0].organization):
        # The demo number was bought from the wallet: top it up to its demo balance again.
        keys[0] = _demo_organization_topped_up(keys[0])
    demo_health_seed(organization=keys[0].organization)  # outside the transaction: it commits per batch
    sample = (PhoneNumber.objects.filter(status=InventoryStatus.AVAILABLE, country="US", line_type=LineType.LOCAL,
                                         cap_sms=True).order_by("id").values_list("e164", flat=True).first())
    return DemoSeed(numbers=loaded, available=PhoneNumber.objects.filter(status=InventoryStatus.AVAILABLE).count(),
                    staff_created=staff_created, staff_password_is_default=staff_default, keys=keys,
                    sample_number=sample)


def _staff_user() -> tuple[bool, bool]:
    User = get_user_model()
    user = User.objects.filter(username=STAFF_USERNAME).first()
    if user is None:
        user = User.objects.create_superuser(STAFF_USERNAME, "admin@localhost", STAFF_PASSWORD)
        audit_record(action="user.create", acting_user=None, target=user, after={"username": STAFF_USERNAME,
                                                                                   "is_superuser": True})
        return True, True
    # Someone changed the password since: keep theirs, never reset it behind their back.
    return False, user.check_password(STAFF_PASSWORD)


def _demo_organization(name: str, target_cents: int) -> DemoKey:
    organization, _ = organization_get_or_create(name=name)
    wallet = wallet_get_or_create(organization=organization)
    if wallet.balance_cents < target_cents:
        wallet_credit(organization=organization, amount_cents=target_cents - wallet.balance_cents,
                      description="Demo top-up", reference="demo:seed")
        wallet.refresh_from_db()
    if name == COMPLIANCE_ORGANIZATION:
        _demo_profiles(organization)
    _, raw_key = api_key_create(organization=organization, scopes=list(SCOPES), name="demo")
    return DemoKey(organization=organization, raw_key=raw_key, balance_cents=wallet.balance_cents)


# --- emergency (E911) ---
# One demo number of the first organisation has a provisioned dispatchable address, so the console's
# E911 screen and the number's ``emergency`` block show the enabled state. Carrier calls run here, outside
# any transaction (the simulator by default); a second run finds the address and does nothing.

DEMO_EMERGENCY_ADDRESS = {"caller_name": "Acme Telecom NOC", "business_name": "Acme Telecom",
                          "street_number": "600", "street_name": "Congress Avenue", "unit": "Suite 1400",
                          "city": "Austin", "state": "Texas", "postal_code": "78701", "country": "US"}


def _demo_emergency(organization: Organization) -> bool:
    """Register the demo address and provision it on a newly bought US voice number; True if bought."""
    from .models import EmergencyAddress
    from .services import (emergency_address_create, emergency_provisioning_perform, number_emergency_address_set,
                           number_purchase)

    if EmergencyAddress.objects.filter(organization=organization).exists():
        return False
    row = (PhoneNumber.objects.sellable().filter(country="US", line_type=LineType.LOCAL, cap_voice=True)
           .exclude(provider="didww").order_by("id").first())
    if row is None:
        return False
    address = emergency_address_create(organization=organization, fields=DEMO_EMERGENCY_ADDRESS)
    number = number_purchase(organization=organization, phone_number=row.e164, country_code="US",
                             capabilities=["sms", "voice"])
    number = number_emergency_address_set(organization=organization, number_id=number.pk, address_id=address.pk)
    # Provisioned now rather than by a worker (``make run`` may start without one); the queued task then
    # finds the request answered.
    emergency_provisioning_perform(assignment_id=number.emergency.pk, token=number.emergency.request_token)
    return True


def _demo_organization_topped_up(key: DemoKey) -> DemoKey:
    target = DEMO_ORGANIZATIONS[key.organization.name]
    wallet = wallet_get_or_create(organization=key.organization)
    if wallet.balance_cents < target:
        wallet_credit(organization=key.organization, amount_cents=target - wallet.balance_cents,
                      description="Demo top-up", reference="demo:seed")
        wallet.refresh_from_db()
    return DemoKey(organization=key.organization, raw_key=key.raw_key, balance_cents=wallet.balance_cents)


def _demo_profiles(organization: Organization) -> None:
    """Seeded as if customers had filed them and staff had reviewed the first: the console's review
    queue, the gate and the fuzzer have both kinds to work with."""
    now = timezone.now()
    for name, (country, status, fields, document_types) in DEMO_PROFILES.items():
        if ComplianceProfile.objects.filter(organization=organization, name=name).exists():
            continue
        approved = status == ComplianceProfile.Status.APPROVED
        profile = ComplianceProfile.objects.create(
            organization=organization, name=name, country=country, line_types=list(LineType.values),
            actions=["purchase", "port_in"], fields=fields, status=status, submitted_at=now,
            reviewed_at=now if approved else None, valid_until=now + timedelta(days=365) if approved else None)
        for document_type in document_types:
            stored = file_store(organization=organization, purpose="compliance",
                                upload=SimpleUploadedFile(f"{document_type}.pdf", DEMO_PDF, "application/pdf"))
            ComplianceDocument.objects.create(profile=profile, document_type=document_type, file=stored)
        audit_record(action="compliance_profile.create", organization=organization, target=profile,
                     after={"country": country, "status": status, "seeded": True})
