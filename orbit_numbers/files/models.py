from __future__ import annotations

from django.db import models

from ..ids import new_id
from ..models import ApiKey, Organization


def new_file_id() -> str:
    return new_id("file")


class StoredFile(models.Model):
    """One uploaded file of one organisation. The bytes live in Django's default storage;
    the type is what the content says it is (magic bytes), never what the name claims."""

    class Purpose(models.TextChoices):
        LOA = "loa", "Letter of Authorization"
        INVOICE = "invoice", "Carrier invoice / bill copy"
        COMPLIANCE = "compliance", "Compliance document"

    id = models.CharField(primary_key=True, max_length=32, default=new_file_id, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="files")
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.LOA)
    original_name = models.CharField(max_length=255, blank=True, default="")
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=255, unique=True)
    uploaded_by_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="file_org_recent")]

    def __str__(self) -> str:
        return f"{self.id} ({self.content_type}, {self.size} bytes)"

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"

    @property
    def is_browser_image(self) -> bool:
        # HEIC is accepted but most browsers cannot render it inline.
        return self.content_type in ("image/jpeg", "image/png")
