"""Amounts are JSON numbers on the REST API: written as the Decimal's own digits, read back
as Decimal, never through a binary float (jsonwire), on the adapter's and the simulator's
side alike."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from mappings.mediafinanz_rest import jsonwire

from .conftest import claim


@pytest.mark.parametrize("amount, text", [
    ("1234567.89", b"1234567.89"), ("0.10", b"0.10"), ("0.00", b"0.00"), ("-0.00", b"-0.00"),
    ("100", b"100"), ("1E+2", b"100"), ("12345678901234567.89", b"12345678901234567.89"),
])
def test_a_decimal_is_written_as_its_own_digits(amount, text):
    assert jsonwire.dumps(Decimal(amount)) == text
    assert jsonwire.dumps({"Amount": Decimal(amount)}) == b'{"Amount":' + text + b"}"


def test_floats_and_non_numbers_are_never_written():
    with pytest.raises(TypeError):
        jsonwire.dumps({"Amount": 0.1})
    for value in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(ValueError):
            jsonwire.dumps(Decimal(value))
    with pytest.raises(ValueError):
        jsonwire.loads(b'{"Amount": NaN}')


def test_numbers_are_read_as_decimals():
    data = jsonwire.loads(b'{"a": 1234567.89, "b": 0.10, "c": 12345678901234567.89, "d": 7}')
    assert data == {"a": Decimal("1234567.89"), "b": Decimal("0.10"),
                    "c": Decimal("12345678901234567.89"), "d": 7}
    assert str(data["b"]) == "0.10" and type(data["a"]) is Decimal
    assert json.loads(b"12345678901234567.89") != data["c"]  # what a float would have made


def test_other_values_are_plain_json():
    value = {"s": "Weiße Breite 5 \"x\"\n", "d": date(2024, 6, 3), "n": None, "t": True,
             "f": False, "l": [1, "2"], "i": 11}
    assert jsonwire.loads(jsonwire.dumps(value)) == {**value, "d": "2024-06-03"}
    assert "ß".encode() in jsonwire.dumps(value)  # UTF-8, not \\u escapes


cents = st.integers(-10**20, 10**20).map(lambda c: Decimal(c).scaleb(-2))


@given(cents)
@settings(max_examples=300, deadline=None)
def test_any_amount_survives_the_wire_digit_for_digit(amount):
    text = jsonwire.dumps({"Amount": amount})
    back = jsonwire.loads(text)["Amount"]
    assert back == amount and str(back) == format(amount, "f")


def test_exact_amounts_through_the_real_simulator(fresh_sim, agency, creds):
    number = agency.submit_claim(creds, claim("ORDER-BIG", principal=Decimal("1234567.89"),
                                              dunning_fees=Decimal("0.10")))
    stored = fresh_sim.simulator.claim(number).content
    assert (stored.principal, stored.dunning_fees) == (Decimal("1234567.89"), Decimal("0.10"))
    summary = agency.get_accounting(creds, number)
    assert summary.total_debts == Decimal("1234567.99")
    agency.book_direct_payment(creds, number, date(2024, 5, 2), Decimal("0.10"))
    summary = agency.get_accounting(creds, number)
    assert (summary.paid, summary.outstanding) == (Decimal("0.10"), Decimal("1234567.89"))
    assert fresh_sim.simulator.claim(number).paid == Decimal("0.10")
