"""10DLC: a US local number that sends SMS must be attached to an ACTIVE campaign, or US carriers
block (or heavily filter) its A2P traffic. One query (the organisation's campaigns), whatever the
number of targets.

- owned, SMS on: attached to an ACTIVE campaign → ok; PENDING → warning; none, SUSPENDED or
  EXPIRED → blocked, with how to attach one.
- purchase or port_in (a ported US local number arrives with SMS): ok when the organisation has a
  campaign it can attach (ACTIVE, with a verified brand: what attaching requires), naming it;
  else a warning saying what is missing.
- anything else (not US, not local, no SMS) → ok, not applicable.
"""
from __future__ import annotations

from inventory.models import Campaign, LineType
from orbit_numbers.models import Organization

from .base import CheckResult, Status, Target
from .targets import OWNED, PORT_IN

BLOCKS = "US carriers block A2P SMS from unregistered 10DLC numbers"
REGISTER = ("Register a brand and a campaign (10DLC registration: POST /api/v1/10dlc/brands and "
            "/api/v1/10dlc/campaigns, each then submitted for vetting); once the campaign is ACTIVE, attach it with "
            "PUT /api/v1/numbers/{id} and campaign_id.")


def applies(target: Target) -> bool:
    if target.country != "US" or target.line_type != LineType.LOCAL:
        return False
    return target.kind == PORT_IN or "sms" in target.capabilities


def attachable(campaign: Campaign) -> bool:
    return campaign.status == Campaign.Status.ACTIVE and campaign.brand.is_verified


def _owned(target: Target, usable: Campaign | None) -> CheckResult:
    number = target.owned
    campaign = number.campaign
    attach = (f"Attach an ACTIVE campaign: PUT /api/v1/numbers/{number.id} with campaign_id"
              + (f" (e.g. {usable.id}, {usable.name})." if usable else "; you have none yet. " + REGISTER))
    if campaign is None:
        return CheckResult(Status.BLOCKED, f"No 10DLC campaign is attached: {BLOCKS}.", attach,
                           {"campaign_id": None, "campaign_status": None})
    details = {"campaign_id": campaign.id, "campaign_status": campaign.status}
    if campaign.status == Campaign.Status.ACTIVE:
        return CheckResult(Status.OK, f"Sends under the ACTIVE 10DLC campaign {campaign.name}.", "", details)
    if campaign.status == Campaign.Status.PENDING:
        return CheckResult(Status.WARNING, f"Its 10DLC campaign {campaign.name} is still PENDING review; A2P SMS "
                                           "is blocked or filtered until it is ACTIVE.",
                           "Wait for the campaign to be approved, or attach another ACTIVE campaign with "
                           f"PUT /api/v1/numbers/{number.id} and campaign_id.", details)
    return CheckResult(Status.BLOCKED, f"Its 10DLC campaign {campaign.name} is {campaign.status}: {BLOCKS}.",
                       attach, details)


def _not_ours_yet(target: Target, usable: Campaign | None, pending: Campaign | None) -> CheckResult:
    when = "once the port completes" if target.kind == PORT_IN else "after buying it"
    if usable is not None:
        return CheckResult(Status.OK, f"Your ACTIVE 10DLC campaign {usable.name} can be attached {when}.", "",
                           {"campaign_id": usable.id, "campaign_status": usable.status})
    if pending is not None:
        return CheckResult(Status.WARNING, f"Your 10DLC campaign {pending.name} is {pending.status} (or its brand is "
                                           f"not verified): {BLOCKS}.",
                           f"Get the campaign to ACTIVE with a verified brand, then attach it {when} with "
                           "PUT /api/v1/numbers/{id} and campaign_id.",
                           {"campaign_id": pending.id, "campaign_status": pending.status})
    return CheckResult(Status.WARNING, f"You have no 10DLC campaign: {BLOCKS}.", REGISTER,
                       {"campaign_id": None, "campaign_status": None})


class CampaignCheck:
    name = "campaign"

    def evaluate(self, *, organization: Organization, targets: list[Target]) -> dict[str, CheckResult]:
        relevant = [t for t in targets if applies(t)]
        usable = pending = None
        if relevant:
            campaigns = list(Campaign.objects.filter(organization=organization).select_related("brand")
                             .order_by("name", "id"))
            usable = next((c for c in campaigns if attachable(c)), None)
            pending = next((c for c in campaigns if c.status in (Campaign.Status.PENDING, Campaign.Status.ACTIVE)),
                           None)
        answers = {t.e164: CheckResult(Status.OK, "Not applicable: 10DLC concerns US local numbers that send SMS.")
                   for t in targets}
        for target in relevant:
            answers[target.e164] = (_owned(target, usable) if target.kind == OWNED
                                    else _not_ours_yet(target, usable, pending))
        return answers


CHECK = CampaignCheck()
