"""The lifecycle table: every allowed transition works, forbidden ones raise."""
from __future__ import annotations

import itertools

import pytest

from gateway.domain.errors import IllegalTransition
from gateway.domain.lifecycle import ALLOWED, CLOSED, ClaimState, check_transition, is_open
from gateway.domain.model import Actor, ActorKind, Claim, ClaimState as S
from tests.factories import NOW, content

ALLOWED_PAIRS = [(a, b) for a, targets in ALLOWED.items() for b in sorted(targets, key=str)]
FORBIDDEN_PAIRS = [(a, b) for a, b in itertools.product(ClaimState, ClaimState)
                   if b not in ALLOWED[a]]


@pytest.mark.parametrize("current,target", ALLOWED_PAIRS, ids=lambda s: s.value)
def test_every_allowed_transition_moves_and_records_an_event(current, target):
    claim = Claim(shop_id="shop-a", content=content(), state=current, agency_account="mediafinanz")
    claim._move(target, NOW, Actor(ActorKind.AGENCY, "mediafinanz"), "test")
    assert claim.state is target
    [event] = claim.pending_events
    assert (event.state_before, event.state_after, event.at) == (current, target, NOW)


SAMPLE_FORBIDDEN = [
    (S.RECEIVED, S.PAID), (S.RECEIVED, S.IN_COLLECTION), (S.RECEIVED, S.NEEDS_REVIEW),
    (S.PAID, S.IN_COLLECTION), (S.CANCELLED, S.SUBMITTED), (S.REJECTED, S.SUBMITTED),
    (S.SUBMITTED, S.RECEIVED), (S.DUNNING_ORDER_ISSUED, S.ENFORCEMENT_ORDER_ISSUED),
    (S.COURT_DUNNING_REQUESTED, S.COURT_DUNNING_REQUESTED), (S.TITLE_OBTAINED, S.DUNNING_ORDER_SERVED),
    (S.CANCEL_REQUESTED, S.IN_COLLECTION), (S.OBJECTION_RAISED, S.ENFORCEMENT_ORDER_ISSUED),
]


@pytest.mark.parametrize("current,target", SAMPLE_FORBIDDEN, ids=lambda s: s.value)
def test_forbidden_transitions_raise_and_change_nothing(current, target):
    claim = Claim(shop_id="shop-a", content=content(), state=current)
    with pytest.raises(IllegalTransition) as info:
        claim._move(target, NOW, Actor(ActorKind.SYSTEM, "t"), "test")
    assert claim.state is current and claim.pending_events == []
    assert current.value in str(info.value) and target.value in str(info.value)


def test_sample_forbidden_pairs_are_really_forbidden_by_the_table():
    assert set(SAMPLE_FORBIDDEN) <= set(FORBIDDEN_PAIRS)


def test_closed_states_only_reopen_for_review():
    for state in CLOSED:
        assert ALLOWED[state] == {S.NEEDS_REVIEW}
        assert not is_open(state)
    with pytest.raises(IllegalTransition):
        check_transition(S.PAID, S.PARTIALLY_PAID)


def test_receive_records_event_and_submit_message():
    claim = Claim.receive("shop-a", content(), "mediafinanz", NOW)
    assert claim.state is S.RECEIVED
    assert [e.what for e in claim.pending_events] == ["received"]
    assert [m.kind.value for m in claim.pending_messages] == ["SUBMIT_CLAIM"]


def test_agency_status_twice_records_one_event():
    claim = Claim(shop_id="s", content=content(), state=S.SUBMITTED, agency_account="mf")
    assert claim.apply_agency_status(S.IN_COLLECTION, 10202, "in collection", NOW) is True
    assert claim.apply_agency_status(S.IN_COLLECTION, 10202, "in collection", NOW) is False
    assert len(claim.pending_events) == 1


def test_submitted_while_cancel_requested_keeps_the_cancel():
    claim = Claim.receive("s", content(), "mf", NOW)
    claim.request_cancel("customer paid", Actor(ActorKind.SHOP, "s"), NOW)
    claim.mark_submitted("12345678901", NOW)
    assert claim.state is S.CANCEL_REQUESTED and claim.agency_file_number == "12345678901"
    assert [m.kind.value for m in claim.pending_messages] == ["SUBMIT_CLAIM", "CANCEL_CLAIM"]
