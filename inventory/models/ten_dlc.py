"""US 10DLC registration vocabulary (The Campaign Registry's enums), shared by the Brand and
Campaign models, the API and the adapters. Imports nothing from the models package, so the models
can use it while being defined."""
from __future__ import annotations

from django.db import models

__all__ = ["TenDlcRegistration", "RegistrationStatus", "BrandEntityType", "BrandVertical", "CampaignUseCase", "STOCK_EXCHANGES"]


class RegistrationStatus(models.TextChoices):
    """Where a registration stands with the registry. ``draft`` until submitted; vetting then takes it
    from ``pending`` to ``verified`` or ``rejected`` (a rejected one may be submitted again)."""

    DRAFT = "draft", "Draft (not submitted)"
    PENDING = "pending", "Pending vetting"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class BrandEntityType(models.TextChoices):
    PRIVATE_PROFIT = "PRIVATE_PROFIT", "Privately held for-profit company"
    PUBLIC_PROFIT = "PUBLIC_PROFIT", "Publicly traded company"
    NON_PROFIT = "NON_PROFIT", "Non-profit organisation"
    GOVERNMENT = "GOVERNMENT", "Government body"
    SOLE_PROPRIETOR = "SOLE_PROPRIETOR", "Sole proprietor (no tax id)"


class BrandVertical(models.TextChoices):
    AGRICULTURE = "AGRICULTURE", "Agriculture"
    COMMUNICATION = "COMMUNICATION", "Media and communication"
    CONSTRUCTION = "CONSTRUCTION", "Construction, materials and trade services"
    EDUCATION = "EDUCATION", "Education"
    ENERGY = "ENERGY", "Energy and utilities"
    ENTERTAINMENT = "ENTERTAINMENT", "Entertainment"
    FINANCIAL = "FINANCIAL", "Banking and financial services"
    GAMBLING = "GAMBLING", "Gambling and lottery"
    GOVERNMENT = "GOVERNMENT", "Government services and agencies"
    HEALTHCARE = "HEALTHCARE", "Healthcare and life sciences"
    HOSPITALITY = "HOSPITALITY", "Hospitality and travel"
    INSURANCE = "INSURANCE", "Insurance"
    LEGAL = "LEGAL", "Legal"
    MANUFACTURING = "MANUFACTURING", "Manufacturing"
    NGO = "NGO", "Non-profit organisation"
    POLITICAL = "POLITICAL", "Political"
    POSTAL = "POSTAL", "Postal and delivery"
    PROFESSIONAL = "PROFESSIONAL", "Professional services"
    REAL_ESTATE = "REAL_ESTATE", "Real estate"
    RETAIL = "RETAIL", "Retail and consumer products"
    TECHNOLOGY = "TECHNOLOGY", "Information technology services"
    TRANSPORTATION = "TRANSPORTATION", "Transportation and logistics"


class CampaignUseCase(models.TextChoices):
    TWO_FA = "2FA", "Two-factor authentication / one-time passcodes"
    ACCOUNT_NOTIFICATION = "ACCOUNT_NOTIFICATION", "Account notifications"
    CUSTOMER_CARE = "CUSTOMER_CARE", "Customer care"
    DELIVERY_NOTIFICATION = "DELIVERY_NOTIFICATION", "Delivery notifications"
    FRAUD_ALERT = "FRAUD_ALERT", "Fraud alerts"
    HIGHER_EDUCATION = "HIGHER_EDUCATION", "Higher education"
    LOW_VOLUME = "LOW_VOLUME", "Low-volume mixed"
    MARKETING = "MARKETING", "Marketing"
    MIXED = "MIXED", "Mixed"
    POLLING_VOTING = "POLLING_VOTING", "Polling and voting"
    PUBLIC_SERVICE_ANNOUNCEMENT = "PUBLIC_SERVICE_ANNOUNCEMENT", "Public service announcements"
    SECURITY_ALERT = "SECURITY_ALERT", "Security alerts"


# Exchanges a PUBLIC_PROFIT brand's stock may be listed on (TCR's list, abridged to the common ones).
STOCK_EXCHANGES = ("NASDAQ", "NYSE", "AMEX", "TSX", "LSE", "OTHER")


class TenDlcRegistration(models.Model):
    """What a brand and a campaign both record of their registration (inventory/services/ten_dlc.py):
    where vetting stands, which adapter (ORBIT["TEN_DLC_PROVIDER"]) took the submission and its id there,
    and why the registry refused it."""

    registration_status = models.CharField(max_length=10, choices=RegistrationStatus.choices,
                                           default=RegistrationStatus.DRAFT, db_index=True)
    provider = models.CharField(max_length=10, blank=True, default="")
    provider_ref = models.CharField(max_length=100, blank=True, default="")
    rejection_code = models.CharField(max_length=40, blank=True, default="")
    rejection_reason = models.CharField(max_length=500, blank=True, default="")
    last_error = models.CharField(max_length=255, blank=True, default="")
    submitted_at = models.DateTimeField(null=True, blank=True)
    vetted_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
