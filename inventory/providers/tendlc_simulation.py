"""How the simulated carrier vets 10DLC registrations, like The Campaign Registry and the mobile
carriers behind it. Every submission is ``pending`` at first and finishes
ORBIT["SIMULATOR_TEN_DLC_VETTING_SECONDS"] after it was made:

- a brand is rejected (TAX_ID_MISMATCH) when its tax id ends with one of
  ORBIT["SIMULATOR_TEN_DLC_REJECT_TAX_ID_SUFFIXES"] (default 0000: the registry cannot match the EIN
  to the legal name); otherwise verified, VETTED_VERIFIED for publicly traded companies;
- a campaign is rejected (PROHIBITED_CONTENT) when its description or a sample message contains a
  word of ORBIT["SIMULATOR_TEN_DLC_BANNED_WORDS"] (cannabis, payday loans …); otherwise verified.

The fate and the submission time travel inside the reference the simulator hands out (as a carrier's
id would point at its records), so any process can answer a status call. Time is Django's
``timezone.now()``, so tests move it with the ``clock`` fixture.
"""
from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.utils import timezone

from .base import TenDlcBrandData, TenDlcCampaignData, TenDlcVetting

REJECT_REASONS = {
    "TAX_ID_MISMATCH": "The registry could not match the tax id (EIN) to the legal company name; submit the exact "
                       "legal name on record for this EIN.",
    "PROHIBITED_CONTENT": "The sample messages or description promote content carriers prohibit on 10DLC "
                          "(SHAFT-C: sex, hate, alcohol, firearms, tobacco, cannabis; high-risk lending; gambling).",
}
_WORDS = re.compile(r"[A-Za-z0-9]+")


def brand_fate(brand: TenDlcBrandData) -> str:
    """``verified``, ``vetted`` (VETTED_VERIFIED) or a reject code."""
    digits = re.sub(r"\D", "", brand.tax_id)
    if digits and any(digits.endswith(suffix) for suffix in settings.ORBIT["SIMULATOR_TEN_DLC_REJECT_TAX_ID_SUFFIXES"]
                      if suffix):
        return "TAX_ID_MISMATCH"
    return "vetted" if brand.entity_type == "PUBLIC_PROFIT" else "verified"


def campaign_fate(campaign: TenDlcCampaignData) -> str:
    banned = {word.upper() for word in settings.ORBIT["SIMULATOR_TEN_DLC_BANNED_WORDS"] if word}
    for text in (campaign.description, *campaign.sample_messages):
        if banned & {word.upper() for word in _WORDS.findall(text)}:
            return "PROHIBITED_CONTENT"
    return "verified"


def reference_new(provider: str, kind: str, fate: str, customer_reference: str) -> str:
    now_ms = int(timezone.now().timestamp() * 1000)
    digest = hashlib.sha256(f"{kind}|{customer_reference}|{now_ms}".encode()).hexdigest()[:10]
    return f"sim-{provider}-{kind}.{now_ms}.{fate}.{digest}"


def vetting_read(reference: str) -> TenDlcVetting | None:
    """The vetting a simulator reference stands for now; None for a reference it never gave out."""
    try:
        _, submitted_ms, fate, _ = reference.split(".")
        submitted = int(submitted_ms) / 1000
    except ValueError:
        return None
    elapsed = timezone.now().timestamp() - submitted
    if elapsed < float(settings.ORBIT["SIMULATOR_TEN_DLC_VETTING_SECONDS"]):
        return TenDlcVetting(status="pending", reference=reference)
    if fate in REJECT_REASONS:
        return TenDlcVetting(status="rejected", reference=reference, reject_code=fate,
                             reject_reason=REJECT_REASONS[fate], identity_status="UNVERIFIED")
    return TenDlcVetting(status="verified", reference=reference,
                         identity_status="VETTED_VERIFIED" if fate == "vetted" else "VERIFIED")
