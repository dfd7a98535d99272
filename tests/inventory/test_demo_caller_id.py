"""seed_demo's caller-ID rows: a listed CNAM and an open spam dispute, once, and free."""
from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from billing.models import Wallet
from inventory.models import CnamListing, NumberSpamLabel, SpamDispute


def test_the_demo_has_a_listed_cnam_and_an_open_dispute_once(db):
    for _ in range(2):
        call_command("seed_demo", "--numbers", "300", stdout=StringIO())
    listing = CnamListing.objects.get()
    assert listing.status == "listed" and listing.organization.name == "Acme Telecom"
    dispute = SpamDispute.objects.get()
    assert dispute.status == "open" and dispute.organization.name == "Acme Telecom"
    assert NumberSpamLabel.objects.filter(number=dispute.number, analytics_provider=dispute.analytics_provider).exists()
    assert Wallet.objects.get(organization__name="Acme Telecom").balance_cents == 500_00
