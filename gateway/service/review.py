"""Resolving a review: a claim the agency moved to NEEDS_REVIEW (an unknown status code, or a
move the lifecycle does not allow) gets the state staff found out it is really in.

One transaction: the claim's new state and its history event (the shop sees it in its
changes feed). Nothing goes to the agency: its own file is what staff looked at.
"""
from __future__ import annotations

from datetime import datetime

from gateway.domain.errors import Conflict, FieldError, ValidationFailed
from gateway.domain.lifecycle import ALLOWED, ClaimState
from gateway.domain.model import Actor, ActorKind, Claim, ClaimEvent

from .claims import _owned
from .unit_of_work import ConcurrentUpdate, UnitOfWorkFactory

# What a review may end in: every state the lifecycle allows from NEEDS_REVIEW except the
# two requests, which would need a message to the agency (they have their own use cases).
RESOLUTION_STATES: tuple[ClaimState, ...] = tuple(
    s for s in ClaimState if s in ALLOWED[ClaimState.NEEDS_REVIEW]
    and s not in (ClaimState.COURT_DUNNING_REQUESTED, ClaimState.CANCEL_REQUESTED))


def state_before_review(events: list[ClaimEvent]) -> ClaimState | None:
    """The state the claim was in when it last moved to NEEDS_REVIEW (the usual answer)."""
    for event in reversed(events):
        if event.state_after is ClaimState.NEEDS_REVIEW and event.state_before is not None \
                and event.state_before is not ClaimState.NEEDS_REVIEW:
            return event.state_before
    return None


def resolve_review(uow_factory: UnitOfWorkFactory, shop_id: str, shop_claim_id: str,
                   state: ClaimState, resolved_by: str, now: datetime) -> Claim:
    """Move the shop's claim out of NEEDS_REVIEW to `state`.

    Raises ValidationFailed (a state a review may not end in), NotFound (not the shop's
    claim) and Conflict (the claim is no longer in review, or changed meanwhile).
    """
    if state not in RESOLUTION_STATES:
        raise ValidationFailed([FieldError("state", "must be one of "
                                           + ", ".join(s.value for s in RESOLUTION_STATES))])
    with uow_factory() as uow:
        claim = _owned(uow, shop_id, shop_claim_id, for_update=True)
        if claim.state is not ClaimState.NEEDS_REVIEW:
            raise Conflict(f"claim {shop_claim_id!r} is {claim.state.value}: there is no "
                           "review to resolve (resolved meanwhile, or the agency reported a "
                           "known status since)")
        claim.resolve_review(state, Actor(ActorKind.STAFF, resolved_by), now)
        try:
            uow.commit()
        except ConcurrentUpdate:
            raise Conflict(f"claim {shop_claim_id!r} changed while the resolution was stored; "
                           "look at it again") from None
    return claim
