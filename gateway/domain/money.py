"""Money is Decimal EUR with two places. Floats are refused, never converted."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CURRENCY = "EUR"


def eur(value: Decimal | int | str) -> Decimal:
    """An amount as Decimal with exactly two places.

    Raises TypeError for float (binary floats cannot hold cents exactly) and
    ValueError for anything that is not a finite number with at most 2 decimals.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError("amounts must be Decimal, int or str, never float")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    if not has_at_most_cents(amount):
        raise ValueError(f"more than 2 decimal places: {value!r}")
    return amount.quantize(CENT)


def has_at_most_cents(amount: Decimal) -> bool:
    return amount.is_finite() and amount == amount.quantize(CENT)


def format_eur(amount: Decimal) -> str:
    """'1234.50' -- the wire and storage form, never scientific notation."""
    return f"{amount.quantize(CENT):f}"
