"""Money is Decimal with two places; floats are refused everywhere amounts enter."""
from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from gateway.domain.money import eur, format_eur
from gateway.store.column_types import Cents

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("raw,expected", [
    ("149.9", Decimal("149.90")), (5, Decimal("5.00")), (Decimal("0.01"), Decimal("0.01")),
    (" 1000.00 ", Decimal("1000.00")), ("-3.5", Decimal("-3.50")),
])
def test_eur_quantizes_exactly(raw, expected):
    value = eur(raw)
    assert value == expected and value.as_tuple().exponent == -2


@pytest.mark.parametrize("raw", [0.1, 1.0, float("nan"), True])
def test_eur_refuses_float_and_bool(raw):
    with pytest.raises(TypeError):
        eur(raw)


@pytest.mark.parametrize("raw", ["1.001", "abc", "NaN", "Infinity", ""])
def test_eur_refuses_non_amounts(raw):
    with pytest.raises(ValueError):
        eur(raw)


@given(st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2,
                   allow_nan=False, allow_infinity=False))
def test_cents_column_round_trips_every_amount_exactly(amount):
    column = Cents()
    stored = column.process_bind_param(amount, None)
    assert isinstance(stored, int)
    assert column.process_result_value(stored, None) == amount
    assert format_eur(amount) == f"{amount.quantize(Decimal('0.01')):f}"


def test_cents_column_refuses_float():
    with pytest.raises(TypeError):
        Cents().process_bind_param(149.9, None)


# Where amounts are handled: the domain, the use cases, the agency mappings, the
# store's money columns and claim rows. (Durations and metrics elsewhere may be float.)
AMOUNT_CODE = ("gateway/domain", "gateway/service", "mappings", "gateway/store/column_types.py",
               "gateway/store/repositories.py", "gateway/shop_api/types.py")


def test_no_float_in_amount_code():
    """No float() call or float literal in the code paths that handle amounts."""
    offenders = []
    for name in AMOUNT_CODE:
        target = ROOT / name
        for path in ([target] if target.is_file() else target.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "float":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} float()")
                if isinstance(node, ast.Constant) and isinstance(node.value, float):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert offenders == []
