"""Porting fixtures: signed LoA URLs, owned numbers, staff reviewers, a fast simulator."""
from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group, User

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def pdf_file(name: str = "loa.pdf", data: bytes = PDF_BYTES):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded LoAs go to a per-test directory, not the project's media/."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def upload_loa():
    """upload_loa(client) → the signed URL of a freshly uploaded LoA PDF."""

    def upload(client, data: bytes = PDF_BYTES, name: str = "loa.pdf"):
        response = client.post("/api/v1/files/upload", {"file": pdf_file(name, data), "purpose": "loa"},
                               format="multipart")
        assert response.status_code == 201, response.json()
        return response.json()["data"]["url"]

    return upload


@pytest.fixture
def own_number(make_number):
    """own_number(org, country="US", **fields) → an active OwnedNumber bought through the real service
    (abroad, the organisation gets an approved profile covering the pool first, as the purchase gate asks)."""
    from inventory.services import number_purchase
    from tests.inventory.compliance_support import ensure_covered

    def make(organization, country: str = "US", line_type: str = "local", **fields):
        row = make_number(country, line_type, **fields)
        ensure_covered(organization, country, line_type)
        return number_purchase(organization=organization, phone_number=row.e164, country_code=country)

    return make


@pytest.fixture
def reviewer(db):
    user = User.objects.create_user("ops", "ops@example.com", "pw-ops-123", is_staff=True)
    user.groups.add(Group.objects.get(name="porting-ops"))
    return user


@pytest.fixture
def fast_carrier(settings):
    """Simulated carriers finish every port at the first poll."""
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 0}
    return settings


@pytest.fixture
def slow_carrier(settings):
    """Simulated carriers never move during a test."""
    settings.ORBIT = {**settings.ORBIT, "SIMULATOR_PORT_STAGE_SECONDS": 10_000}
    return settings
