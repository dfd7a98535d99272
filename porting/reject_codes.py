"""Carrier and LoA-review reject codes, in plain English, with what to do about each.

Codes follow the carrier exception vocabulary (Telnyx porting exceptions, which mirror the
LSR/NPAC rejects of North American carriers) plus Orbit's own LoA-review codes. Unknown codes
fall back to a generic explanation so a timeline never shows a bare code.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RejectCode:
    code: str
    explanation: str
    action: str
    staff: bool = False  # offered to staff in the LoA review screen


_TABLE = [
    RejectCode("ACCOUNT_NUMBER_MISMATCH",
               "The account number you gave does not match the losing carrier's records.",
               "Copy the account number exactly from a recent bill of the current carrier (not the phone "
               "number) and submit a supplement."),
    RejectCode("PASSCODE_PIN_INVALID",
               "The account PIN / port-out passcode is missing or wrong.",
               "Ask the current carrier for the port-out PIN (mobile carriers issue a transfer PIN on "
               "request) and submit a supplement with accountPin."),
    RejectCode("AUTH_PERSON_MISMATCH",
               "The person who signed the LoA is not an authorised user on the losing account.",
               "Have an authorised account holder sign a new LoA, upload it, and submit a supplement "
               "with the new authorizedSigner."),
    RejectCode("ENTITY_NAME_MISMATCH",
               "The account holder name does not match the losing carrier's records.",
               "Use the business or person name exactly as printed on the current carrier's bill and "
               "submit a supplement."),
    RejectCode("LOCATION_MISMATCH",
               "The service address does not match the address on the losing account.",
               "Submit a supplement with the service address exactly as the current carrier has it "
               "(check a recent bill)."),
    RejectCode("POSTAL_CODE_MISMATCH",
               "The postal code of the service address does not match the carrier's records.",
               "Correct serviceAddress.postalCode to the one on the current carrier's bill and submit a "
               "supplement."),
    RejectCode("BTN_ATN_MISMATCH",
               "The billing telephone number (BTN) given does not match the account.",
               "Ask the current carrier for the account's main billing number and submit a supplement "
               "with it as accountNumber/BTN."),
    RejectCode("MAIN_BTN_PORTING",
               "You are porting the account's main billing number without saying what happens to the "
               "numbers left behind.",
               "Either include every number on the account, or name a new BTN for the remaining numbers "
               "in a supplement."),
    RejectCode("PHONE_NUMBER_MISMATCH",
               "One or more numbers are not on the losing account.",
               "Check the numbers against the current carrier's bill; remove numbers on another account "
               "and port them in a separate request."),
    RejectCode("PHONE_NUMBER_NOT_PORTABLE",
               "The number cannot be ported to us (no coverage or the carrier refuses it).",
               "Run the portability check again; if it still fails, keep the number where it is or "
               "contact support about alternatives."),
    RejectCode("PHONE_NUMBER_HAS_SPECIAL_FEATURE",
               "A feature on the number (DSL, alarm line, hunt group, remote call forwarding) blocks "
               "the port.",
               "Ask the current carrier to remove the feature, then submit a supplement."),
    RejectCode("NUMBER_NOT_ACTIVE",
               "The number is disconnected or not in service at the losing carrier.",
               "Reactivate the number with the current carrier (a disconnected number cannot be "
               "ported), then submit a supplement."),
    RejectCode("PENDING_ORDER_EXISTS",
               "Another order (a port or a change) is already open on this number at the losing carrier.",
               "Ask the current carrier to close or cancel the open order, then submit a supplement."),
    RejectCode("SV_CONFLICT",
               "The losing carrier placed the port in conflict in the number portability database.",
               "Contact the current carrier to release the conflict (usually an unpaid balance or a "
               "contract hold), then submit a supplement."),
    RejectCode("SV_UNKNOWN_FAILURE",
               "The number portability database refused the port for an unspecified reason.",
               "Submit a supplement unchanged to retry; if it fails again, contact support."),
    RejectCode("RATE_CENTER_NOT_PORTABLE",
               "The number's rate centre is outside our coverage.",
               "This number cannot be ported to us; keep it with the current carrier."),
    RejectCode("PORT_TYPE_INCORRECT",
               "The order mixes number types (e.g. mobile and landline) the carrier handles separately.",
               "Split the numbers by type into separate port requests."),
    RejectCode("PORTING_ORDER_SPLIT_REQUIRED",
               "The carrier needs these numbers split across several orders.",
               "Cancel this request and submit one per losing account / number type."),
    RejectCode("FOC_REJECTED",
               "The losing carrier refused the requested port date.",
               "Submit a supplement; the carrier will propose the earliest date it accepts."),
    RejectCode("FOC_EXPIRED",
               "The agreed port date passed without the port being activated.",
               "Submit a supplement to ask for a new FOC date."),
    RejectCode("LSR_PENDING",
               "The local service request is still waiting for information from you.",
               "Check the request details, supply what is missing, and submit a supplement."),
    RejectCode("OSP_IRRESPONSIVE",
               "The losing carrier did not answer the port request in time.",
               "Submit a supplement to resend it; we escalate unanswered requests with the carrier."),
    RejectCode("OTHER",
               "The carrier rejected the request for a reason outside the standard codes.",
               "Read the carrier's note on the request, correct what it asks for, and submit a supplement."),
    # Orbit's LoA review (staff) codes.
    RejectCode("LOA_MISSING",
               "No Letter of Authorization is attached to the request.",
               "Upload the signed LoA (PDF, JPEG, PNG or HEIC) with POST …/loa, sign it, and submit a "
               "supplement.", staff=True),
    RejectCode("LOA_ILLEGIBLE",
               "The LoA cannot be read (blurred, cut off, or low resolution).",
               "Scan or photograph the whole page clearly, upload it again, and submit a supplement.",
               staff=True),
    RejectCode("LOA_UNSIGNED",
               "The LoA is not signed, or the signature is not the authorised person's.",
               "Have the authorised account holder sign and date the LoA, upload it, and submit a "
               "supplement.", staff=True),
    RejectCode("LOA_NUMBERS_MISSING",
               "The LoA does not list every number in the request.",
               "List all the numbers on the LoA (or attach a signed number list) and submit a supplement.",
               staff=True),
    RejectCode("LOA_EXPIRED",
               "The LoA is dated too long ago (carriers accept LoAs up to 30–90 days old).",
               "Sign a freshly dated LoA, upload it, and submit a supplement.", staff=True),
    RejectCode("LOA_DETAILS_MISMATCH",
               "The name, address or account number on the LoA differs from the request.",
               "Make the LoA and the request match the current carrier's bill exactly, then submit a "
               "supplement.", staff=True),
]
# The carrier-neutral names people use for the common cases, mapped to the canonical codes.
ALIASES = {
    "PIN_MISMATCH": "PASSCODE_PIN_INVALID",
    "NAME_MISMATCH": "ENTITY_NAME_MISMATCH",
    "ADDRESS_MISMATCH": "LOCATION_MISMATCH",
    "BTN_MISMATCH": "BTN_ATN_MISMATCH",
}
REJECT_CODES = {entry.code: entry for entry in _TABLE}
STAFF_CODES = [entry for entry in _TABLE if entry.staff] + [
    REJECT_CODES[code] for code in ("ACCOUNT_NUMBER_MISMATCH", "ENTITY_NAME_MISMATCH", "LOCATION_MISMATCH",
                                    "PHONE_NUMBER_NOT_PORTABLE", "OTHER")]


def explain(code: str) -> RejectCode:
    code = ALIASES.get((code or "").upper(), (code or "").upper())
    return REJECT_CODES.get(code) or RejectCode(
        code or "OTHER",
        "The carrier rejected the request" + (f" (code {code})." if code else "."),
        "Read the carrier's note on the request, correct what it asks for, and submit a supplement; "
        "contact support if the note is unclear.")
