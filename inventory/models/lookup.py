"""Number lookups and CNAM dips: one log row per request (what was asked, served from the cache, charged)."""
from __future__ import annotations

from django.db import models
from django.utils import timezone

from orbit_numbers.ids import new_id
from orbit_numbers.models import ApiKey, Organization

__all__ = ["NumberLookup", "new_number_lookup_id"]


def new_number_lookup_id() -> str:
    return new_id("lkp")


class NumberLookup(models.Model):
    """One paid lookup request of a tenant. Append-only: the ledger line it paid for names it
    (reference ``lookup:<id>``); a request refused (402) or failed at the carrier leaves no row."""

    class Kind(models.TextChoices):
        LOOKUP = "lookup", "Number lookup"
        CNAM_DIP = "cnam_dip", "CNAM dip"

    id = models.CharField(primary_key=True, max_length=32, default=new_number_lookup_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    e164 = models.CharField("number", max_length=16)
    fields = models.JSONField(default=list, help_text="The fields asked for, in request order.")
    cached_fields = models.JSONField(default=list, help_text="Fields served from the cache (not charged again).")
    charged_fields = models.JSONField(default=list, help_text="Fields the carrier answered and that were charged.")
    charged_cents = models.PositiveIntegerField(default=0)
    provider = models.CharField(max_length=10, blank=True, default="",
                                help_text="The carrier asked; blank when everything came from the cache.")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="lookup_org_recent"),
            models.Index(fields=["organization", "e164"], name="lookup_org_number"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.e164}"
