"""Every name of the mediafinanz-style interface the adapter and the simulator need.

When the agency's real WSDL replaces ours, this file, the status table and the
WSDL are what change.
"""
from __future__ import annotations

import hashlib

from gateway.domain.model import CourtDunningInstruction

NAMESPACE = "urn:inkasso-gateway:agency:mediafinanz:v1"
SERVICE_NAME = "MediafinanzEncashment"
# What Spyne calls the binding and port of SERVICE_NAME; the zeep client binds by this name.
BINDING_NAME = SERVICE_NAME
BINDING_QNAME = "{%s}%s" % (NAMESPACE, BINDING_NAME)
WSDL_RESOURCE = ("wsdl.agencies.mediafinanz", "mediafinanz.wsdl")

# The hand-over operation's real name is not public; this is ours.
LAWYER_OPERATION = "instructLawyer"
OPERATIONS = (
    "newClaim",
    "getClaimStatus",
    "getClaimStatusChanges",
    "commitTransaction",
    "getClaimHistory",
    "getClaimAccountingSummary",
    "getClaimOptions",
    "closeClaim",
    "bookDirectPayment",
    LAWYER_OPERATION,
    "getPayoutList",
)

# instructLawyer's instruction codes. 3 (lawsuit straight away) exists in the
# contract but the gateway's domain never asks for it.
LAWYER_INSTRUCTIONS: dict[CourtDunningInstruction, int] = {
    CourtDunningInstruction.DUNNING_ONLY: 1,
    CourtDunningInstruction.DUNNING_THEN_LAWSUIT: 2,
}
LAWSUIT_INSTRUCTION = 3

# SOAP 1.1 fault codes (local part after "Client." / "Server.") the agency answers with.
FAULT_AUTH = "Client.AuthenticationFailed"
FAULT_UNKNOWN_FILE = "Client.UnknownFileNumber"
FAULT_NOT_ALLOWED = "Client.ActionNotAllowed"
FAULT_UNKNOWN_TRANSACTION = "Client.UnknownTransaction"
FAULT_SERVER = "Server.Unavailable"

# Limits of the agency's fields (the plugins cut the reason to 250 characters).
REASON_LIMIT = 250
FILE_NUMBER_DIGITS = 11


def licence_key(application_key: str, client_key: str) -> str:
    """The auth struct's licenceKey: md5(applicationKey + clientKey) as 32 hex digits."""
    return hashlib.md5((application_key + client_key).encode("utf-8")).hexdigest()
