"""Caller ID: CNAM listings of owned US/CA numbers, spam labels read from the analytics providers,
and the tenant's disputes of those labels, which staff track to a resolution.

Carrier calls never run inside a transaction. A listing is recorded as pending (phase 1), a Celery
task submits it once that commits, and the carrier's answer is applied in a second short
transaction that re-locks the listing and checks its ``revision`` (a newer name or a retry since
then wins). The refresh job polls pending listings and resubmits those the carrier never took.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from orbit_numbers.errors import Conflict, NotFound, ProviderError, ValidationFailed
from orbit_numbers.models import ApiKey, Organization
from orbit_numbers.services import audit_record
from orbit_numbers.webhooks.services import webhook_event_emit

from ..models import (CnamListing, NumberSpamLabel, OwnedNumber, SpamDispute, SpamDisputeNote, SpamLabelCheck)
from ..models.caller_id import OPEN_DISPUTE_STATUSES
from ..providers import get_adapter
from ..providers.base import CnamListingResult, SpamLabel

logger = logging.getLogger(__name__)

CNAM_COUNTRIES = ("US", "CA")
CNAM_NAME_MAX = 15
# ASCII letters and digits, spaces inside only: what the CNAM databases store and carriers accept.
CNAM_NAME_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9 ]{0,13}[A-Za-z0-9])?$"
CNAM_NAME_RULE = ("must be 1-15 characters: letters A-Z, digits 0-9 and spaces, not starting or ending with a "
                  "space")
_CNAM_NAME = re.compile(CNAM_NAME_PATTERN.replace("^", r"\A").replace("$", r"\Z"))
# A submission the carrier has not taken is resubmitted by the sweep only after this long, so a task
# that is still running is not raced.
RESUBMIT_AFTER = timedelta(seconds=60)


# --- CNAM listings ------------------------------------------------------------------------------------


def cnam_display_name_validate(value: str, *, field: str = "display_name") -> str:
    if not isinstance(value, str) or not _CNAM_NAME.match(value):
        raise ValidationFailed.field(field, CNAM_NAME_RULE)
    return value


def _live_number(organization: Organization, number_id: str, *, lock: bool = False) -> OwnedNumber:
    query = OwnedNumber.objects.live().filter(organization=organization, pk=number_id).select_related("phone_number")
    if lock:
        query = query.select_for_update(of=("self",))
    number = query.first()
    if number is None:
        raise NotFound("No such number.")
    return number


def _cnam_eligible(number: OwnedNumber) -> None:
    if number.phone_number.country not in CNAM_COUNTRIES:
        raise ValidationFailed.field("number_id", "CNAM listings exist only for US and Canadian numbers "
                                                  f"(this number is {number.phone_number.country})")
    if not number.phone_number.cap_voice:
        raise ValidationFailed.field("number_id", "this number has no voice capability, so it places no calls "
                                                  "that could show a caller name")


def _listing_snapshot(listing: CnamListing) -> dict:
    return {"display_name": listing.display_name, "status": listing.status,
            "reject_code": listing.reject_code or None, "revision": listing.revision}


def _schedule_submission(listing: CnamListing) -> None:
    listing_id, revision = listing.pk, listing.revision

    def enqueue() -> None:
        from ..tasks import submit_cnam_listing

        submit_cnam_listing.delay(listing_id, revision)

    transaction.on_commit(enqueue)


def _restart(listing: CnamListing) -> None:
    """Back to pending for a fresh submission (a new name, or a retry)."""
    listing.status = CnamListing.Status.PENDING
    listing.revision += 1
    listing.carrier_reference = listing.reject_code = listing.reject_reason = listing.last_error = ""
    listing.submission_attempts = 0
    listing.submitted_at = listing.listed_at = listing.last_polled_at = None


@transaction.atomic
def cnam_listing_set(*, organization: Organization, number_id: str, display_name: str,
                     acting_key: ApiKey | None = None, acting_user=None) -> CnamListing:
    """List ``display_name`` as the caller name of an owned US/CA voice number. A new name goes to
    the carrier as pending (after commit); the same name while pending or listed changes nothing."""
    display_name = cnam_display_name_validate(display_name)
    number = _live_number(organization, number_id, lock=True)
    _cnam_eligible(number)
    listing = CnamListing.objects.select_for_update(of=("self",)).filter(number=number).first()
    before = None
    if listing is None:
        listing = CnamListing(organization=organization, number=number, e164=number.e164,
                              provider=number.phone_number.provider, display_name=display_name)
        listing.save(force_insert=True)
    else:
        if listing.display_name == display_name and listing.status in (CnamListing.Status.PENDING,
                                                                       CnamListing.Status.LISTED):
            return listing
        before = _listing_snapshot(listing)
        listing.display_name = display_name
        listing.provider = number.phone_number.provider
        _restart(listing)
        listing.save()
    audit_record(action="cnam_listing.set", organization=organization, acting_key=acting_key, acting_user=acting_user,
                 target=listing, before=before, after=_listing_snapshot(listing))
    _schedule_submission(listing)
    return listing


def cnam_listing_delete(*, organization: Organization, number_id: str, acting_key: ApiKey | None = None,
                        acting_user=None) -> None:
    """Remove the caller name: at the carrier first (no transaction open), then our row."""
    listing = (CnamListing.objects.filter(organization=organization, number_id=number_id)
               .exclude(number__status=OwnedNumber.Status.RELEASED).first())
    if listing is None:
        raise NotFound("This number has no CNAM listing.")
    if listing.carrier_reference:
        try:
            get_adapter(listing.provider).delete_cnam_listing(e164=listing.e164, reference=listing.carrier_reference)
        except ProviderError as exc:
            raise Conflict(f"The carrier did not remove the listing: {exc.message}. Try again later.",
                           details={"provider": listing.provider, "provider_code": exc.provider_code or ""}) from None
    with transaction.atomic():
        locked = CnamListing.objects.select_for_update(of=("self",)).filter(pk=listing.pk).first()
        if locked is None:
            return
        if locked.revision != listing.revision:
            raise Conflict("The listing changed while it was being removed; read it and try again.")
        before = _listing_snapshot(locked)
        locked.delete()
        audit_record(action="cnam_listing.delete", organization=organization, acting_key=acting_key,
                     acting_user=acting_user, object_type="inventory.cnamlisting", object_id=listing.pk,
                     before=before)


def _emit_listing_event(listing: CnamListing) -> None:
    event = {CnamListing.Status.LISTED: "cnam.listed", CnamListing.Status.REJECTED: "cnam.rejected"}.get(listing.status)
    if event:
        webhook_event_emit(organization=listing.organization, event_type=event, data={
            "id": listing.pk, "number_id": listing.number_id, "phone_number": listing.e164,
            "display_name": listing.display_name, "status": listing.status,
            "reject_code": listing.reject_code or None, "reject_reason": listing.reject_reason or None})


def _apply_answer(listing_id: str, revision: int, *, result: CnamListingResult | None = None,
                  error: ProviderError | None = None, submission: bool, acting_user=None) -> CnamListing | None:
    """Phase 2: the carrier's answer (or failure) about ``revision`` of a pending listing."""
    now = timezone.now()
    with transaction.atomic():
        listing = (CnamListing.objects.select_for_update(of=("self",)).select_related("organization")
                   .filter(pk=listing_id).first())
        if listing is None or listing.revision != revision or listing.status != CnamListing.Status.PENDING:
            return listing  # removed, renamed or settled meanwhile: the answer is about nothing current
        before = _listing_snapshot(listing)
        if submission:
            listing.submission_attempts += 1
            listing.submitted_at = now
        else:
            listing.last_polled_at = now
        if error is not None:
            listing.last_error = error.message[:255]
            exhausted = listing.submission_attempts >= settings.ORBIT["CNAM_SUBMIT_MAX_ATTEMPTS"]
            if error.provider_code == "NOT_SUPPORTED" or (submission and (exhausted or not error.retryable)):
                listing.status = CnamListing.Status.FAILED
        else:
            listing.last_error = ""
            listing.carrier_reference = result.reference or listing.carrier_reference
            if result.status == "listed":
                listing.status, listing.listed_at = CnamListing.Status.LISTED, now
            elif result.status == "rejected":
                listing.status = CnamListing.Status.REJECTED
                listing.reject_code = (result.reject_code or "REJECTED")[:40]
                listing.reject_reason = (result.reject_reason or "The carrier rejected the name.")[:255]
        listing.save()
        if listing.status != before["status"]:
            audit_record(action="cnam_listing.carrier_update", organization=listing.organization,
                         acting_user=acting_user, target=listing, before=before,
                         after={**_listing_snapshot(listing), "last_error": listing.last_error or None})
            _emit_listing_event(listing)
        return listing


def cnam_listing_submit(*, listing_id: str, revision: int, acting_user=None) -> CnamListing | None:
    """Send a pending listing to its carrier (the task after commit, and the sweep's resubmission)."""
    listing = CnamListing.objects.filter(pk=listing_id).first()
    if listing is None or listing.revision != revision or listing.status != CnamListing.Status.PENDING:
        return listing
    try:
        result = get_adapter(listing.provider).submit_cnam_listing(e164=listing.e164,
                                                                   display_name=listing.display_name)
    except ProviderError as exc:
        logger.info("CNAM submission of %s failed: %s", listing.pk, exc.message)
        return _apply_answer(listing_id, revision, error=exc, submission=True, acting_user=acting_user)
    return _apply_answer(listing_id, revision, result=result, submission=True, acting_user=acting_user)


def cnam_listing_refresh(*, listing_id: str) -> CnamListing | None:
    """Ask the carrier where a pending, submitted listing stands."""
    listing = CnamListing.objects.filter(pk=listing_id).first()
    if listing is None or listing.status != CnamListing.Status.PENDING or not listing.carrier_reference:
        return listing
    try:
        result = get_adapter(listing.provider).cnam_listing_status(e164=listing.e164,
                                                                   reference=listing.carrier_reference)
    except ProviderError as exc:
        return _apply_answer(listing_id, listing.revision, error=exc, submission=False)
    return _apply_answer(listing_id, listing.revision, result=result, submission=False)


@dataclass
class CnamRefreshResult:
    polled: int = 0
    resubmitted: int = 0
    listed: int = 0
    rejected: int = 0
    failed: int = 0
    errors: int = 0


def cnam_listings_refresh(*, limit: int = 200, now=None) -> CnamRefreshResult:
    """The beat job: poll pending listings the carrier holds, resubmit those it never took (after a
    failed attempt), least recently polled first. Each carrier call runs with no transaction open;
    one listing failing does not stop the others."""
    now = now or timezone.now()
    outcome = CnamRefreshResult()
    pending = (CnamListing.objects.filter(status=CnamListing.Status.PENDING)
               .filter(~Q(carrier_reference="") | Q(updated_at__lt=now - RESUBMIT_AFTER))
               .order_by(F("last_polled_at").asc(nulls_first=True), "id")
               .values_list("pk", "revision", "carrier_reference")[:limit])
    for pk, revision, reference in list(pending):
        try:
            if reference:
                listing = cnam_listing_refresh(listing_id=pk)
                outcome.polled += 1
            else:
                listing = cnam_listing_submit(listing_id=pk, revision=revision)
                outcome.resubmitted += 1
        except Exception:  # one bad listing must not stop the sweep
            outcome.errors += 1
            logger.warning("Refreshing CNAM listing %s failed", pk, exc_info=True)
            continue
        status = listing.status if listing is not None else None
        outcome.listed += status == CnamListing.Status.LISTED
        outcome.rejected += status == CnamListing.Status.REJECTED
        outcome.failed += status == CnamListing.Status.FAILED
    return outcome


@transaction.atomic
def cnam_listing_retry(*, listing_id: str, acting_user=None, acting_key: ApiKey | None = None) -> CnamListing:
    """Staff resubmit a rejected or failed listing with the same name (after commit)."""
    listing = CnamListing.objects.select_for_update(of=("self",)).filter(pk=listing_id).first()
    if listing is None:
        raise NotFound("No such CNAM listing.")
    if listing.status not in (CnamListing.Status.REJECTED, CnamListing.Status.FAILED):
        raise Conflict(f"The listing is {listing.status}; only rejected or failed listings are retried.")
    before = _listing_snapshot(listing)
    _restart(listing)
    listing.save()
    audit_record(action="cnam_listing.retry", organization=listing.organization, acting_user=acting_user,
                 acting_key=acting_key, target=listing, before=before, after=_listing_snapshot(listing))
    _schedule_submission(listing)
    return listing


# --- spam labels ---------------------------------------------------------------------------------------


@dataclass
class SpamLabelReading:
    """A number's labels and how they were read: checked (live), check-failed (the stored ones, the
    provider did not answer), check-not-supported (the carrier has no analytics feed) or
    check-not-applicable (outside the US and Canada, where these providers label calls)."""

    number: OwnedNumber
    labels: list[NumberSpamLabel]
    check_status: str
    checked_at: object = None


def _store_labels(number: OwnedNumber, labels: list[SpamLabel]) -> list[NumberSpamLabel]:
    now = timezone.now()
    with transaction.atomic():
        current = {label.analytics_provider: label for label in labels}
        NumberSpamLabel.objects.filter(number=number).exclude(analytics_provider__in=list(current)).delete()
        stored = []
        for provider, label in sorted(current.items()):
            row, _ = NumberSpamLabel.objects.update_or_create(
                number=number, analytics_provider=provider,
                defaults={"label": label.label[:60], "score": max(0, min(int(label.score), 100)),
                          "flagged_at": label.flagged_at, "checked_at": now})
            stored.append(row)
        SpamLabelCheck.objects.update_or_create(number=number, defaults={"checked_at": now})
    return stored


def spam_labels_refresh(*, number: OwnedNumber) -> SpamLabelReading:
    """Read a number's labels from the analytics providers (no transaction open) and keep them."""
    if number.phone_number.country not in CNAM_COUNTRIES:
        return SpamLabelReading(number=number, labels=[], check_status="check-not-applicable")
    try:
        labels = get_adapter(number.phone_number.provider).spam_labels(e164=number.e164)
    except ProviderError as exc:
        stored = list(NumberSpamLabel.objects.filter(number=number))
        check = SpamLabelCheck.objects.filter(number=number).first()
        status = "check-not-supported" if exc.provider_code == "NOT_SUPPORTED" else "check-failed"
        return SpamLabelReading(number=number, labels=stored, check_status=status,
                                checked_at=check.checked_at if check else None)
    stored = _store_labels(number, labels)
    return SpamLabelReading(number=number, labels=stored, check_status="checked", checked_at=timezone.now())


def spam_labels_read(*, organization: Organization, number_id: str) -> SpamLabelReading:
    return spam_labels_refresh(number=_live_number(organization, number_id))


def spam_labels_sweep(*, limit: int = 200, now=None) -> dict:
    """The beat job: re-read the labels of live US/CA numbers checked longest ago (or never)."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.ORBIT["SPAM_LABEL_REFRESH_HOURS"])
    numbers = (OwnedNumber.objects.live().select_related("phone_number")
               .filter(phone_number__country__in=CNAM_COUNTRIES, phone_number__cap_voice=True)
               .filter(Q(spam_label_check__isnull=True) | Q(spam_label_check__checked_at__lt=cutoff))
               .order_by(F("spam_label_check__checked_at").asc(nulls_first=True), "id")[:limit])
    counts = {"checked": 0, "flagged": 0, "errors": 0}
    for number in list(numbers):
        reading = spam_labels_refresh(number=number)
        if reading.check_status == "checked":
            counts["checked"] += 1
            counts["flagged"] += bool(reading.labels)
        else:
            counts["errors"] += 1
    return counts


# --- spam-label disputes --------------------------------------------------------------------------------


def _dispute_snapshot(dispute: SpamDispute) -> dict:
    return {"status": dispute.status, "resolution": dispute.resolution or None,
            "assigned_to": dispute.assigned_to_id, "resolution_note": dispute.resolution_note or None}


def _open_dispute_conflict(dispute_id: str) -> Conflict:
    return Conflict("An open dispute for this number and analytics provider already exists.",
                    details={"dispute_id": dispute_id})


def spam_dispute_file(*, organization: Organization, number_id: str, analytics_provider: str, label: str,
                      reason: str, contact_email: str, traffic_description: str,
                      acting_key: ApiKey | None = None, acting_user=None) -> SpamDispute:
    """A tenant disputes the label ``analytics_provider`` puts on one of its numbers. The labels are
    read again first (no transaction open): a number that provider does not flag is refused (422)."""
    number = _live_number(organization, number_id)
    existing = SpamDispute.objects.filter(number=number, analytics_provider=analytics_provider,
                                          status__in=OPEN_DISPUTE_STATUSES).values_list("pk", flat=True).first()
    if existing:
        raise _open_dispute_conflict(existing)
    reading = spam_labels_refresh(number=number)
    flagged = {row.analytics_provider: row for row in reading.labels}
    current = flagged.get(analytics_provider)
    if current is None:
        shown = ", ".join(f"{row.analytics_provider}: {row.label}" for row in reading.labels) or "none"
        raise ValidationFailed.field("analytics_provider", f"{number.e164} is not flagged by {analytics_provider} "
                                                           f"(current labels: {shown})")
    if current.label.casefold() != label.strip().casefold():
        raise ValidationFailed.field("label", f"{analytics_provider} labels {number.e164} {current.label!r}, "
                                              f"not {label!r}")
    try:
        with transaction.atomic():
            OwnedNumber.objects.select_for_update(of=("self",)).filter(pk=number.pk).first()
            existing = SpamDispute.objects.filter(number=number, analytics_provider=analytics_provider,
                                                  status__in=OPEN_DISPUTE_STATUSES).values_list("pk", flat=True).first()
            if existing:
                raise _open_dispute_conflict(existing)
            dispute = SpamDispute.objects.create(
                organization=organization, number=number, e164=number.e164, analytics_provider=analytics_provider,
                label=current.label, score_at_filing=current.score, reason=reason, contact_email=contact_email,
                traffic_description=traffic_description)
            audit_record(action="spam_dispute.file", organization=organization, acting_key=acting_key,
                         acting_user=acting_user, target=dispute,
                         after={"number": number.e164, "analytics_provider": analytics_provider,
                                "label": current.label, **_dispute_snapshot(dispute)})
    except IntegrityError:  # a concurrent filing won the partial unique constraint
        raise Conflict("An open dispute for this number and analytics provider already exists.") from None
    return dispute


def _lock_dispute(dispute_id: str) -> SpamDispute:
    dispute = (SpamDispute.objects.select_for_update(of=("self",)).select_related("organization")
               .filter(pk=dispute_id).first())
    if dispute is None:
        raise NotFound("No such spam dispute.")
    return dispute


def _emit_dispute_update(dispute: SpamDispute) -> None:
    webhook_event_emit(organization=dispute.organization, event_type="spam_dispute.updated", data={
        "id": dispute.pk, "number_id": dispute.number_id, "phone_number": dispute.e164,
        "analytics_provider": dispute.analytics_provider, "label": dispute.label, "status": dispute.status,
        "resolution": dispute.resolution or None, "resolution_note": dispute.resolution_note or None})


def _move(dispute: SpamDispute, *, status: str, acting_user, resolution: str = "", note: str = "") -> SpamDispute:
    if not dispute.is_open:
        raise Conflict(f"The dispute is {dispute.status}; it can no longer change.")
    if status == SpamDispute.Status.SUBMITTED and dispute.status != SpamDispute.Status.OPEN:
        raise Conflict("Only an open dispute can be submitted to the analytics provider.")
    before = _dispute_snapshot(dispute)
    now = timezone.now()
    dispute.status, dispute.resolution = status, resolution
    if note:
        dispute.resolution_note = note[:500]
    if status == SpamDispute.Status.SUBMITTED:
        dispute.submitted_at = now
    else:
        dispute.closed_at = now
    dispute.save()
    audit_record(action=f"spam_dispute.{status}", organization=dispute.organization, acting_user=acting_user,
                 target=dispute, before=before, after=_dispute_snapshot(dispute))
    _emit_dispute_update(dispute)
    return dispute


@transaction.atomic
def spam_dispute_submit(*, dispute_id: str, acting_user, note: str = "") -> SpamDispute:
    """Staff have sent the dispute to the analytics provider (open → submitted)."""
    return _move(_lock_dispute(dispute_id), status=SpamDispute.Status.SUBMITTED, acting_user=acting_user, note=note)


@transaction.atomic
def spam_dispute_resolve(*, dispute_id: str, resolution: str, acting_user, note: str = "") -> SpamDispute:
    """The provider answered: the label is removed or upheld. A removed label leaves the stored
    labels at once (the next reading confirms it)."""
    if resolution not in SpamDispute.Resolution.values:
        raise ValidationFailed.field("resolution", f"must be one of {', '.join(SpamDispute.Resolution.values)}")
    dispute = _move(_lock_dispute(dispute_id), status=SpamDispute.Status.RESOLVED, resolution=resolution,
                    acting_user=acting_user, note=note)
    if resolution == SpamDispute.Resolution.LABEL_REMOVED:
        NumberSpamLabel.objects.filter(number_id=dispute.number_id,
                                       analytics_provider=dispute.analytics_provider).delete()
    return dispute


@transaction.atomic
def spam_dispute_reject(*, dispute_id: str, note: str, acting_user) -> SpamDispute:
    """Staff refuse to pursue the dispute (e.g. the traffic described is unlawful); the tenant is told why."""
    if not (note or "").strip():
        raise ValidationFailed.field("note", "say why the dispute is rejected; the customer is told")
    return _move(_lock_dispute(dispute_id), status=SpamDispute.Status.REJECTED, acting_user=acting_user,
                 note=note.strip())


@transaction.atomic
def spam_dispute_assign(*, dispute_id: str, assignee, acting_user) -> SpamDispute:
    dispute = _lock_dispute(dispute_id)
    before = _dispute_snapshot(dispute)
    dispute.assigned_to = assignee
    dispute.save(update_fields=["assigned_to", "updated_at"])
    audit_record(action="spam_dispute.assign", organization=dispute.organization, acting_user=acting_user,
                 target=dispute, before=before, after=_dispute_snapshot(dispute))
    return dispute


@transaction.atomic
def spam_dispute_note_add(*, dispute_id: str, text: str, acting_user) -> SpamDisputeNote:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.field("text", "a note needs some text")
    dispute = _lock_dispute(dispute_id)
    note = SpamDisputeNote.objects.create(dispute=dispute, author=acting_user if getattr(
        acting_user, "is_authenticated", False) else None, text=text)
    audit_record(action="spam_dispute.note", organization=dispute.organization, acting_user=acting_user,
                 target=dispute, after={"note_id": note.pk, "text": text[:500]})
    return note
