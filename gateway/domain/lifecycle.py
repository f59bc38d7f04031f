"""The claim lifecycle: states and the transitions allowed between them.

The table is the single source of truth; an unlisted move is an
IllegalTransition, never a silent overwrite.
"""
from __future__ import annotations

from enum import Enum

from .errors import IllegalTransition


class ClaimState(str, Enum):
    RECEIVED = "RECEIVED"  # stored, agency not told yet
    # Stored, handed over by the worker on its ready day (the shop's hand-over policy waits
    # for default, gateway/domain/handover.py); the shop may still cancel it until then.
    WAITING_FOR_DEFAULT = "WAITING_FOR_DEFAULT"
    SUBMITTED = "SUBMITTED"  # agency accepted, file number known
    REJECTED = "REJECTED"  # agency refused, reasons kept
    IN_COLLECTION = "IN_COLLECTION"
    INSTALMENT_PLAN = "INSTALMENT_PLAN"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    UNCOLLECTIBLE = "UNCOLLECTIBLE"  # agency could not collect out of court
    CLOSED_BY_AGENCY = "CLOSED_BY_AGENCY"  # agency closed the file (e.g. insolvency)
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    CANCELLED = "CANCELLED"
    COURT_DUNNING_REQUESTED = "COURT_DUNNING_REQUESTED"
    DUNNING_ORDER_ISSUED = "DUNNING_ORDER_ISSUED"
    DUNNING_ORDER_SERVED = "DUNNING_ORDER_SERVED"
    OBJECTION_RAISED = "OBJECTION_RAISED"
    ENFORCEMENT_ORDER_REQUESTED = "ENFORCEMENT_ORDER_REQUESTED"
    ENFORCEMENT_ORDER_ISSUED = "ENFORCEMENT_ORDER_ISSUED"
    TITLE_OBTAINED = "TITLE_OBTAINED"
    NEEDS_REVIEW = "NEEDS_REVIEW"  # agency reported something the gateway cannot map


S = ClaimState

COLLECTION = frozenset({S.IN_COLLECTION, S.INSTALMENT_PLAN, S.PARTIALLY_PAID})
COURT_STAGES = frozenset(
    {
        S.COURT_DUNNING_REQUESTED,
        S.DUNNING_ORDER_ISSUED,
        S.DUNNING_ORDER_SERVED,
        S.OBJECTION_RAISED,
        S.ENFORCEMENT_ORDER_REQUESTED,
        S.ENFORCEMENT_ORDER_ISSUED,
        S.TITLE_OBTAINED,
    }
)
# Not at the agency yet: nothing it reports can concern them.
NOT_HANDED_OVER = frozenset({S.RECEIVED, S.WAITING_FOR_DEFAULT})
# Closed for good as far as the shop is concerned (NEEDS_REVIEW can still reopen).
CLOSED = frozenset({S.PAID, S.CANCELLED, S.REJECTED, S.CLOSED_BY_AGENCY})

# Where the agency may take a claim at any point once it has the file.
_AGENCY_OUTCOMES = COLLECTION | {S.PAID, S.UNCOLLECTIBLE, S.CLOSED_BY_AGENCY, S.CANCELLED}
_SHOP_CANCEL = {S.CANCEL_REQUESTED}

ALLOWED: dict[ClaimState, frozenset[ClaimState]] = {
    S.RECEIVED: frozenset({S.SUBMITTED, S.REJECTED, S.CANCEL_REQUESTED, S.WAITING_FOR_DEFAULT}),
    # Handed over on its day (-> SUBMITTED or REJECTED), or cancelled before: CANCELLED at once
    # when its hand-over was withdrawn unsent, else CANCEL_REQUESTED behind the hand-over.
    S.WAITING_FOR_DEFAULT: frozenset({S.SUBMITTED, S.REJECTED, S.CANCEL_REQUESTED, S.CANCELLED}),
    S.SUBMITTED: frozenset(_AGENCY_OUTCOMES | _SHOP_CANCEL | COURT_STAGES),
    S.IN_COLLECTION: frozenset(_AGENCY_OUTCOMES | _SHOP_CANCEL | COURT_STAGES),
    S.INSTALMENT_PLAN: frozenset(_AGENCY_OUTCOMES | _SHOP_CANCEL | COURT_STAGES),
    S.PARTIALLY_PAID: frozenset(_AGENCY_OUTCOMES | _SHOP_CANCEL | COURT_STAGES),
    S.UNCOLLECTIBLE: frozenset(_AGENCY_OUTCOMES | _SHOP_CANCEL | COURT_STAGES),
    S.CANCEL_REQUESTED: frozenset(
        {S.CANCELLED, S.SUBMITTED, S.REJECTED, S.PAID, S.PARTIALLY_PAID, S.CLOSED_BY_AGENCY}
    ),
    # Court stages move forward, and may fall back to collection or close.
    S.COURT_DUNNING_REQUESTED: frozenset(
        _AGENCY_OUTCOMES | _SHOP_CANCEL | (COURT_STAGES - {S.COURT_DUNNING_REQUESTED})
    ),
    S.DUNNING_ORDER_ISSUED: frozenset(
        _AGENCY_OUTCOMES | _SHOP_CANCEL | {S.DUNNING_ORDER_SERVED, S.OBJECTION_RAISED}
    ),
    S.DUNNING_ORDER_SERVED: frozenset(
        _AGENCY_OUTCOMES
        | _SHOP_CANCEL
        | {S.OBJECTION_RAISED, S.ENFORCEMENT_ORDER_REQUESTED, S.ENFORCEMENT_ORDER_ISSUED}
    ),
    # A late objection still counts until the enforcement order is issued.
    S.ENFORCEMENT_ORDER_REQUESTED: frozenset(
        _AGENCY_OUTCOMES | _SHOP_CANCEL | {S.ENFORCEMENT_ORDER_ISSUED, S.OBJECTION_RAISED}
    ),
    # An appeal (Einspruch) against the enforcement order works like an objection.
    S.ENFORCEMENT_ORDER_ISSUED: frozenset(
        _AGENCY_OUTCOMES | _SHOP_CANCEL | {S.TITLE_OBTAINED, S.OBJECTION_RAISED}
    ),
    # After an objection the lawsuit (instruction 2) may still end in a title.
    S.OBJECTION_RAISED: frozenset(_AGENCY_OUTCOMES | _SHOP_CANCEL | {S.TITLE_OBTAINED}),
    S.TITLE_OBTAINED: frozenset(_AGENCY_OUTCOMES | _SHOP_CANCEL),
    S.PAID: frozenset(),
    S.CANCELLED: frozenset(),
    S.REJECTED: frozenset(),
    S.CLOSED_BY_AGENCY: frozenset(),
    # Staff or a later, known agency code resolves a review.
    S.NEEDS_REVIEW: frozenset(set(ClaimState) - NOT_HANDED_OVER - {S.NEEDS_REVIEW}),
}

# Anything the agency has a file for may turn out to need a person's look.
for _state in ClaimState:
    if _state not in NOT_HANDED_OVER | {S.NEEDS_REVIEW}:
        ALLOWED[_state] = ALLOWED[_state] | {S.NEEDS_REVIEW}


def can_transition(current: ClaimState, target: ClaimState) -> bool:
    return target in ALLOWED[current]


def check_transition(current: ClaimState, target: ClaimState) -> None:
    if not can_transition(current, target):
        raise IllegalTransition(current.value, target.value)


def is_open(state: ClaimState) -> bool:
    """Open claims are the ones the nightly reconciliation asks the agency about."""
    return state not in CLOSED and state not in NOT_HANDED_OVER
